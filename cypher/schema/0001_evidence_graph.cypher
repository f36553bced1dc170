// Uniqueness constraints for every node key of the evidence graph.
// Applied once by `hydrascope db start` (and every command that writes);
// each statement is idempotent (IF NOT EXISTS).
CREATE CONSTRAINT account_id IF NOT EXISTS
FOR (n:Account) REQUIRE n.account_id IS UNIQUE;
CREATE CONSTRAINT session_id IF NOT EXISTS
FOR (n:Session) REQUIRE n.session_id IS UNIQUE;
CREATE CONSTRAINT ip_address IF NOT EXISTS
FOR (n:IP) REQUIRE n.address IS UNIQUE;
CREATE CONSTRAINT asn_number IF NOT EXISTS
FOR (n:ASN) REQUIRE n.asn IS UNIQUE;
CREATE CONSTRAINT device_fingerprint IF NOT EXISTS
FOR (n:Device) REQUIRE n.fingerprint IS UNIQUE;
CREATE CONSTRAINT payment_fingerprint IF NOT EXISTS
FOR (n:Payment) REQUIRE n.fingerprint IS UNIQUE;
CREATE CONSTRAINT email_domain_name IF NOT EXISTS
FOR (n:EmailDomain) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT org_id IF NOT EXISTS
FOR (n:Org) REQUIRE n.org_id IS UNIQUE;
CREATE CONSTRAINT prompt_template_fingerprint IF NOT EXISTS
FOR (n:PromptTemplate) REQUIRE n.fingerprint IS UNIQUE;
CREATE CONSTRAINT api_key_id IF NOT EXISTS
FOR (n:ApiKey) REQUIRE n.api_key_id IS UNIQUE;
CREATE CONSTRAINT user_agent_value IF NOT EXISTS
FOR (n:UserAgent) REQUIRE n.value IS UNIQUE;
CREATE CONSTRAINT prefix_cidr IF NOT EXISTS
FOR (n:Prefix) REQUIRE n.cidr IS UNIQUE;
