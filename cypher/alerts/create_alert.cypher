// Store one alert, linked to the accounts it names; `webhook` is 'pending'
// when a webhook is set (app.alerts.webhook delivers it), null otherwise.
CREATE (al:Alert {alert_id: $alert_id})
SET al.kind = $kind, al.status = 'open', al.created_at = datetime(),
    al.network_id = $network_id, al.accounts = $accounts, al.evidence = $evidence,
    al.batch = $batch, al.load_id = $load_id, al.entity_kind = $entity_kind,
    al.entity = $entity, al.status_changed_by = null,
    al.webhook = $webhook, al.webhook_attempts = 0
WITH al
UNWIND $accounts AS account_id
MATCH (a:Account {account_id: account_id})
CREATE (al)-[:ABOUT]->(a)
RETURN count(*) AS linked;
