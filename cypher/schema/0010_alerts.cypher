// Alerts raised as batches arrive; the inbox lists them by status and time.
CREATE CONSTRAINT alert_id IF NOT EXISTS
FOR (n:Alert) REQUIRE n.alert_id IS UNIQUE;
CREATE INDEX alert_status IF NOT EXISTS
FOR (n:Alert) ON (n.status);
CREATE INDEX alert_entity IF NOT EXISTS
FOR (n:Alert) ON (n.kind, n.entity_kind, n.entity);
