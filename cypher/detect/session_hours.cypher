// Sessions per account per hour of the day (UTC), for lockstep timing.
MATCH (a:Account)-[:HAS_SESSION]->(s:Session)
RETURN a.account_id AS account_id, s.started_at.hour AS hour, count(*) AS sessions;
