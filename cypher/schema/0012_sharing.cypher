// Sharing with other providers: collections, their published STIX objects
// (one node per version) and the partners that read them.
CREATE CONSTRAINT collection_name IF NOT EXISTS
FOR (n:Collection) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT collection_id IF NOT EXISTS
FOR (n:Collection) REQUIRE n.collection_id IS UNIQUE;
CREATE CONSTRAINT partner_name IF NOT EXISTS
FOR (n:Partner) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT partner_token_id IF NOT EXISTS
FOR (n:Partner) REQUIRE n.token_id IS UNIQUE;
CREATE INDEX shared_object_seq IF NOT EXISTS
FOR (n:SharedObject) ON (n.collection_id, n.seq);
CREATE INDEX shared_object_id IF NOT EXISTS
FOR (n:SharedObject) ON (n.object_id);
CREATE INDEX shared_object_case IF NOT EXISTS
FOR (n:SharedObject) ON (n.case_id);
// What partners shared with us: one node per indicator (its latest version).
CREATE CONSTRAINT partner_indicator_id IF NOT EXISTS
FOR (n:PartnerIndicator) REQUIRE n.indicator_id IS UNIQUE;
CREATE INDEX partner_indicator_source IF NOT EXISTS
FOR (n:PartnerIndicator) ON (n.source);
