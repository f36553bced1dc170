// Batches of the watched inbox, by folder name and content digest: a restart
// reads where each batch got to, so none is loaded twice or skipped.
CREATE CONSTRAINT inbox_batch_key IF NOT EXISTS
FOR (n:InboxBatch) REQUIRE n.batch_key IS UNIQUE;
