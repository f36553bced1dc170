// Link entities to a case (kind from a fixed list: the labels below), with
// how many of the case's accounts share each; unknown keys are skipped.
UNWIND $entities AS row
MATCH (c:Case {case_id: $case_id})
CALL (row) {
  MATCH (e:IP {address: row.key})
  // Only the branch of the row's kind matches.
  WHERE row.kind = 'ip'
  RETURN e
  UNION
  MATCH (e:Prefix {cidr: row.key})
  WHERE row.kind = 'prefix'
  RETURN e
  UNION
  MATCH (e:Device {fingerprint: row.key})
  WHERE row.kind = 'device'
  RETURN e
  UNION
  MATCH (e:Payment {fingerprint: row.key})
  WHERE row.kind = 'payment'
  RETURN e
  UNION
  MATCH (e:ApiKey {api_key_id: row.key})
  WHERE row.kind = 'api_key'
  RETURN e
  UNION
  MATCH (e:UserAgent {value: row.key})
  WHERE row.kind = 'user_agent'
  RETURN e
  UNION
  MATCH (e:PromptTemplate {fingerprint: row.key})
  WHERE row.kind = 'template'
  RETURN e
}
MERGE (c)-[r:INCLUDES_ENTITY {kind: row.kind, key: row.key}]->(e)
ON CREATE SET r += row
// A link added by hand keeps its origin; the counts follow the members.
ON MATCH SET r.accounts = row.accounts, r.sessions = row.sessions
RETURN count(r) AS added;
