// Whether a network_growth alert was raised for a network since full run $base_run.
MATCH (al:Alert {kind: 'network_growth', entity_kind: 'base_run', entity: $base_run})
WHERE al.network_id = $network_id
RETURN al.alert_id AS alert_id
LIMIT 1;
