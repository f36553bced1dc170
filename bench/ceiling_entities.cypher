// The ceiling's preparation (bench/ingest.py, not timed): the nodes the
// sessions link to, by their keys only. Each list is distinct.
CALL () {
  UNWIND $accounts AS key
  CREATE (:Account {account_id: key})
}
CALL () {
  UNWIND $ips AS key
  CREATE (:IP {address: key})
}
CALL () {
  UNWIND $devices AS key
  CREATE (:Device {fingerprint: key})
}
CALL () {
  UNWIND $templates AS key
  CREATE (:PromptTemplate {fingerprint: key})
}
RETURN size($accounts) AS accounts;
