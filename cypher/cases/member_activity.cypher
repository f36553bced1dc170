// Sessions, tokens and reasoning requests of the given accounts per UTC day and hour.
UNWIND $account_ids AS id
MATCH (:Account {account_id: id})-[:HAS_SESSION]->(s:Session)
RETURN toString(date(s.started_at)) AS day, s.started_at.hour AS hour, count(s) AS sessions,
       sum(coalesce(s.input_tokens, 0) + coalesce(s.output_tokens, 0)) AS tokens,
       sum(CASE WHEN s.reasoning_request THEN 1 ELSE 0 END) AS reasoning
ORDER BY day, hour
LIMIT 200000;
