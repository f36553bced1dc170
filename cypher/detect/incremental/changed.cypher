// Accounts to place since run $parent read the graph: those a load created
// or changed since (their load mark) that also gained a link since, to an
// address, a device or an API key, and that are new (all their links are),
// or reached with a new link an address, device or key a member of one of
// the run's suspected networks uses, or were alone (in no network) and now
// share something new with another account. An account that only added
// sessions where it already was, or moved to infrastructure of its own or
// that no suspected network uses, keeps its place until the next full run. A load that
// finished after that read may have written part of its accounts before it:
// its accounts count from the load's start. In id order.
MATCH (r:DetectionRun {run_id: $parent})
WITH coalesce(r.read_at, r.started_at) AS read_at
OPTIONAL MATCH (l:Load)
WHERE l.finished_at >= read_at
WITH read_at, min(l.started_at) AS straddling
WITH CASE WHEN straddling < read_at THEN straddling ELSE read_at END AS since
MATCH (a:Account)
WHERE a.loaded_at >= since
  AND EXISTS { (a)-[u:USED_IP|USED_DEVICE|USED_KEY]->() WHERE u.loaded_at >= since }
  // Excluded: accounts a suspected network of the run flags already (an
  // incremental run never unflags).
  AND NOT EXISTS {
    MATCH (a)-[m:MEMBER_OF {flagged: true}]->(n:Network)
    WHERE m.run_id IN $chain AND NOT coalesce(n.replaced_by, '') IN $chain
  }
  AND (
    // A new account: every link it has is new.
    NOT EXISTS { (a)-[u:USED_IP|USED_DEVICE|USED_KEY]->() WHERE u.loaded_at < since }
    // A new link to what a member of a suspected network uses.
    OR EXISTS {
      MATCH (a)-[u:USED_IP|USED_DEVICE|USED_KEY]->(e)
      WHERE u.loaded_at >= since AND COUNT { (e)<-[:USED_IP|USED_DEVICE|USED_KEY]-() } <= $most
      MATCH (e)<-[:USED_IP|USED_DEVICE|USED_KEY]-(b:Account)-[m:MEMBER_OF {flagged: true}]->(n:Network)
      WHERE b <> a AND m.run_id IN $chain AND NOT coalesce(n.replaced_by, '') IN $chain
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
