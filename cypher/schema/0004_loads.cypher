// Loads are recorded for provenance.
CREATE CONSTRAINT load_id IF NOT EXISTS
FOR (n:Load) REQUIRE n.load_id IS UNIQUE;
