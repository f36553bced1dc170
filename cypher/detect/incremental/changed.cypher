// Accounts to place since run $parent read the graph: those a load created
// or changed since (their load mark) that also gained a link since, to an
// address, a device or an API key (a new account's links are all new). An
// account that only added sessions on the infrastructure it already used
// keeps its place until the next full run. A load that finished after that
// read may have written part of its accounts before it: its accounts count
// from the load's start. In id order.
MATCH (r:DetectionRun {run_id: $parent})
WITH coalesce(r.read_at, r.started_at) AS read_at
OPTIONAL MATCH (l:Load)
WHERE l.finished_at >= read_at
WITH read_at, min(l.started_at) AS straddling
WITH CASE WHEN straddling < read_at THEN straddling ELSE read_at END AS since
MATCH (a:Account)
WHERE a.loaded_at >= since
  AND EXISTS { (a)-[u:USED_IP|USED_DEVICE|USED_KEY]->() WHERE u.loaded_at >= since }
RETURN a.account_id AS account_id
ORDER BY account_id;
