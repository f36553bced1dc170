// Partners' indicators: a new one is added, a newer version replaces the stored
// one; the ids of those added or changed.
UNWIND $rows AS row
MERGE (i:PartnerIndicator {indicator_id: row.indicator_id})
ON CREATE SET i.imported_at = datetime()
WITH i, row
// An older or equal version than the one stored changes nothing.
WHERE i.version IS NULL OR i.version < row.version
SET i += row.props, i.version = row.version, i.updated_at = datetime()
RETURN collect(i.indicator_id) AS changed;
