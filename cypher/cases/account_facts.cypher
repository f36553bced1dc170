// Current facts of the given accounts (those that exist), to freeze into a case.
UNWIND $account_ids AS id
MATCH (a:Account {account_id: id})
RETURN a.account_id AS account_id, a.status AS status, toString(a.created_at) AS created_at,
       a.plan AS plan, a.country AS country, coalesce(a.sessions, 0) AS sessions,
       coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0) AS tokens,
       coalesce(a.reasoning_sessions, 0) AS reasoning, a.email_domain AS email_domain,
       a.payment_fingerprint AS payment
LIMIT 100000;
