// The entities a batch of new sessions points at, created where missing:
// client addresses (with their /24 or /48 prefix), devices, prompt
// templates (SimHash), API keys and user agents. Each list is distinct.
CALL () {
  UNWIND $ips AS node
  MERGE (ip:IP {address: node.key})
  ON CREATE SET ip.network_type = 'unknown', ip.version = node.version
  MERGE (px:Prefix {cidr: node.prefix})
  MERGE (ip)-[:IN_PREFIX]->(px)
}
CALL () {
  UNWIND $devices AS key
  MERGE (:Device {fingerprint: key})
}
CALL () {
  UNWIND $templates AS key
  MERGE (:PromptTemplate {fingerprint: key})
}
CALL () {
  UNWIND $api_keys AS key
  MERGE (:ApiKey {api_key_id: key})
}
CALL () {
  UNWIND $user_agents AS key
  MERGE (:UserAgent {value: key})
}
RETURN size($ips) AS ips;
