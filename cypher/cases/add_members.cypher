// Add accounts to a case with their facts as of now (frozen on the relationship).
UNWIND $members AS row
MATCH (c:Case {case_id: $case_id})
MATCH (a:Account {account_id: row.account_id})
MERGE (c)-[r:INCLUDES]->(a)
ON CREATE SET r += row
RETURN count(r) AS added;
