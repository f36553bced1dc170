// Detection runs come in two kinds: `full` (communities found anew) and
// `incremental` (new and changed accounts attached to the networks of its
// parent). The latest run is the one that completed last; each run's
// `chain` names it and its parents back to the full run it builds on
// (runs written before kinds are full runs of their own: no chain stored).
CREATE INDEX detection_run_finished_at IF NOT EXISTS
FOR (n:DetectionRun) ON (n.finished_at);
CREATE INDEX network_id IF NOT EXISTS
FOR (n:Network) ON (n.network_id);
// Alerts waiting for the webhook are found by their delivery state.
CREATE INDEX alert_webhook IF NOT EXISTS
FOR (n:Alert) ON (n.webhook);
// A network page lists the alerts about it.
CREATE INDEX alert_network IF NOT EXISTS
FOR (n:Alert) ON (n.network_id);
// The accounts a load created or changed (alerts after each batch).
CREATE INDEX account_last_load IF NOT EXISTS
FOR (n:Account) ON (n.last_load);
