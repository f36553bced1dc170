// One account with its facts.
MATCH (a:Account {account_id: $account_id})
RETURN a {.*, created_at: toString(a.created_at), status_changed_at: toString(a.status_changed_at),
          first_seen: toString(a.first_seen), last_seen: toString(a.last_seen),
          loaded_at: toString(a.loaded_at)} AS account;
