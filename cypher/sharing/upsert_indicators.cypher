// Partners' indicators: a new one is added, a newer version replaces the stored
// one; the ids of those added or changed, and of those among them that were
// stored before (whose matches must be taken again).
UNWIND $rows AS row
MERGE (i:PartnerIndicator {indicator_id: row.indicator_id})
ON CREATE SET i.imported_at = datetime()
WITH i, row, i.version IS NULL AS created
// An older or equal version than the one stored changes nothing.
WHERE created OR i.version < row.version
// The network it indicates, when the rows do not say (an incremental pull
// without the indicator's relationship), stays what was stored.
SET i += row.props, i.version = row.version, i.updated_at = datetime(),
    i.network = coalesce(row.network, i.network, '')
RETURN collect(i.indicator_id) AS changed,
       collect(CASE WHEN NOT created THEN i.indicator_id END) AS replaced;
