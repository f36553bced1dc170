// API tokens for scripts: only a hash of each secret is stored.
CREATE CONSTRAINT api_token_id IF NOT EXISTS
FOR (n:ApiToken) REQUIRE n.token_id IS UNIQUE;
