// Accounts carry the load that last created or changed them (`last_load`,
// `loaded_at`): incremental detection asks which changed since a run.
CREATE INDEX account_loaded_at IF NOT EXISTS
FOR (n:Account) ON (n.loaded_at);
