// What the graph holds now for these addresses (a rerun skips unchanged intel).
UNWIND $ids AS id
MATCH (ip:IP {address: id})
// Excluded: addresses the feed never described; their intel always counts as new.
WHERE ip.in_intel_feed
RETURN ip.address AS key, properties(ip) AS props;
