// The autonomous systems of the addresses the accounts used, with how many of
// the accounts came through each.
UNWIND $account_ids AS id
MATCH (a:Account {account_id: id})-[:USED_IP|SIGNED_UP_FROM]->(:IP)-[:IN_ASN]->(n:ASN)
WITH n.asn AS asn, count(DISTINCT a) AS accounts
// An AS one account passed through says nothing about the network.
WHERE accounts >= 2
RETURN asn, accounts
ORDER BY accounts DESC, asn
LIMIT 150;
