// Which of these values are payment tokens or e-mail domains (with how many
// accounts use the domain), so query results can show them masked.
UNWIND $values AS value
OPTIONAL MATCH (p:Payment {fingerprint: value})
OPTIONAL MATCH (d:EmailDomain {name: value})
WITH value, p, d
// Excluded: every value that is neither.
WHERE p IS NOT NULL OR d IS NOT NULL
RETURN value, p IS NOT NULL AS payment,
       CASE WHEN d IS NULL THEN null ELSE COUNT { (d)<-[:EMAIL_AT]-(:Account) } END AS accounts;
