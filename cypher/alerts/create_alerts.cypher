// Store alerts in one transaction, each linked to the accounts it names;
// `webhook` is 'pending' when a webhook is set (app.alerts.webhook delivers
// it), null otherwise.
UNWIND $alerts AS row
CREATE (al:Alert {alert_id: row.alert_id})
SET al.kind = row.kind, al.status = 'open', al.created_at = datetime(),
    al.network_id = row.network_id, al.accounts = row.accounts, al.evidence = row.evidence,
    al.batch = row.batch, al.load_id = row.load_id, al.entity_kind = row.entity_kind,
    al.entity = row.entity, al.status_changed_by = null,
    al.webhook = row.webhook, al.webhook_attempts = 0
WITH al, row
CALL (al, row) {
  UNWIND row.accounts AS account_id
  MATCH (a:Account {account_id: account_id})
  CREATE (al)-[:ABOUT]->(a)
  RETURN count(*) AS linked
}
RETURN count(al) AS created;
