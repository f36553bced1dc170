// Every key of one kind of entity, for matching partners' hashed or fuzzy
// indicators in the app (payment tokens, devices, e-mail domains, templates).
CALL () {
  MATCH (e:Payment)
  // Excluded: every branch but the one of the asked kind.
  WHERE $kind = 'payment'
  RETURN e.fingerprint AS key
  UNION ALL
  MATCH (e:Device)
  // Excluded: other kinds.
  WHERE $kind = 'device'
  RETURN e.fingerprint AS key
  UNION ALL
  MATCH (e:EmailDomain)
  // Excluded: other kinds.
  WHERE $kind = 'email_domain'
  RETURN e.name AS key
  UNION ALL
  MATCH (e:PromptTemplate)
  // Excluded: other kinds.
  WHERE $kind = 'template'
  RETURN e.fingerprint AS key
}
RETURN key
LIMIT 50000000;
