// Accounts to place since $since (detect/incremental/since): those a load
// created or changed since (their load mark), not flagged already, that are new
// (all their links to addresses, devices and API keys came since), or are
// members a suspected network did not flag, or were alone (in no network) and
// now share something new with another account, or use an address, device or
// key a member of one of the run's suspected networks uses (asked last: the
// costly one). Any other account keeps its place until the next full run. In
// id order. A place is a membership in a network as the run's chain shows it.
CALL () {
  MATCH (n:Network)
  WHERE n.run_id IN $chain AND n.flagged AND NOT coalesce(n.replaced_by, '') IN $chain
  MATCH (n)<-[m:MEMBER_OF {flagged: true}]-(b:Account)
  WHERE m.run_id = n.run_id
  RETURN collect(DISTINCT b.account_id) AS suspects
}
MATCH (a:Account)
WHERE a.loaded_at >= $since
WITH a, suspects, [(a)-[m:MEMBER_OF]->(n:Network)
         WHERE m.run_id IN $chain AND NOT coalesce(n.replaced_by, '') IN $chain
         | [m.flagged, n.flagged]] AS places
// Excluded: accounts a suspected network flags already (an incremental run
// never unflags).
WHERE NOT any(p IN places WHERE p[0])
WITH a, suspects, places,
     any(p IN places WHERE p[1]) AS undecided,
     EXISTS { (a)-[:USED_IP|USED_DEVICE|USED_KEY]->() }
       AND NOT EXISTS { (a)-[u:USED_IP|USED_DEVICE|USED_KEY]->() WHERE u.loaded_at < $since } AS new
WITH a, suspects, undecided OR new OR (size(places) = 0 AND EXISTS {
          MATCH (a)-[u:USED_IP|USED_DEVICE|USED_KEY]->(e)
          WHERE u.loaded_at >= $since AND 1 < COUNT { (e)<-[:USED_IP|USED_DEVICE|USED_KEY]-() } <= $most
        }) AS placed
WHERE placed OR EXISTS {
      MATCH (a)-[:USED_IP|USED_DEVICE|USED_KEY]->(e)
      WHERE COUNT { (e)<-[:USED_IP|USED_DEVICE|USED_KEY]-() } <= $most
      MATCH (e)<-[:USED_IP|USED_DEVICE|USED_KEY]-(b:Account)
      WHERE b <> a AND b.account_id IN suspects
    }
RETURN a.account_id AS account_id
ORDER BY account_id;
