// Accounts to place since $since (detect/incremental/since): those a load
// created or changed since (their load mark), not flagged already, that are new
// (all their links to addresses, devices and API keys came since), or use an
// address, device or key a member of one of the run's suspected networks
// uses, or are members a suspected network did not flag, or were alone (in no network) and now share something new with
// another account. Any other account keeps its place until the next full
// run. In id order.
WITH $since AS since
MATCH (a:Account)
WHERE a.loaded_at >= since
  // Excluded: accounts a suspected network of the run flags already (an
  // incremental run never unflags).
  AND NOT EXISTS {
    MATCH (a)-[m:MEMBER_OF {flagged: true}]->(n:Network)
    WHERE m.run_id IN $chain AND NOT coalesce(n.replaced_by, '') IN $chain
  }
  AND (
    // A new account: it has links, and every one came since.
    (EXISTS { (a)-[:USED_IP|USED_DEVICE|USED_KEY]->() }
     AND NOT EXISTS { (a)-[u:USED_IP|USED_DEVICE|USED_KEY]->() WHERE u.loaded_at < since })
    // Active again on what a member of a suspected network uses (its profile
    // may say more now than when it was last placed).
    OR EXISTS {
      MATCH (a)-[:USED_IP|USED_DEVICE|USED_KEY]->(e)
      WHERE COUNT { (e)<-[:USED_IP|USED_DEVICE|USED_KEY]-() } <= $most
      MATCH (e)<-[:USED_IP|USED_DEVICE|USED_KEY]-(b:Account)-[m:MEMBER_OF {flagged: true}]->(n:Network)
      WHERE b <> a AND m.run_id IN $chain AND NOT coalesce(n.replaced_by, '') IN $chain
    }
    // A member of a suspected network that did not flag it: decided again.
    OR EXISTS {
      MATCH (a)-[m:MEMBER_OF {flagged: false}]->(n:Network {flagged: true})
      WHERE m.run_id IN $chain AND NOT coalesce(n.replaced_by, '') IN $chain
    }
    // An account that was alone, now sharing something new with another.
    OR (NOT EXISTS {
          MATCH (a)-[m:MEMBER_OF]->(n:Network)
          WHERE m.run_id IN $chain AND NOT coalesce(n.replaced_by, '') IN $chain
        }
        AND EXISTS {
          MATCH (a)-[u:USED_IP|USED_DEVICE|USED_KEY]->(e)
          WHERE u.loaded_at >= since AND 1 < COUNT { (e)<-[:USED_IP|USED_DEVICE|USED_KEY]-() } <= $most
        })
  )
RETURN a.account_id AS account_id
ORDER BY account_id;
