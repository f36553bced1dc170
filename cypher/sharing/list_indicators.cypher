// Partners' indicators, newest first, optionally only those whose source, value,
// network or name contains the search text, with how many of our entities each
// matched.
MATCH (i:PartnerIndicator)
// Without a search text, every indicator.
WHERE $q IS NULL
   OR toLower(i.source) CONTAINS $q
   OR toLower(i.value) CONTAINS $q
   OR toLower(i.network) CONTAINS $q
   OR toLower(i.name) CONTAINS $q
// Only those that matched something, when asked.
WITH i
WHERE NOT $matched_only OR EXISTS { (i)-[:MATCHES]->() }
WITH i, COUNT { (i)-[:MATCHES]->() } AS matches
ORDER BY i.updated_at DESC, i.indicator_id
WITH collect(i {.indicator_id, .source, .collection, .kind, .value, .hashed, .name, .pattern,
                .network, .confidence, .valid_from, .valid_until, .revoked, .version,
                matches: matches}) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows;
