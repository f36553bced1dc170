// A network (of run $run_id, or of the latest complete run when it is null)
// with one page of its members, in one round trip: what the network page and
// its members fragment need. Members are sorted and cut before their columns
// are read (see network_members.cypher, which this mirrors).
CALL () {
  OPTIONAL MATCH (r:DetectionRun {status: 'complete'})
  WITH r ORDER BY r.started_at DESC LIMIT 1
  RETURN coalesce($run_id, r.run_id) AS run_id
}
MATCH (n:Network {network_id: $network_id, run_id: run_id})
OPTIONAL MATCH (n)-[:CONTINUES]->(before:Network)
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(a:Account)
  WITH a, m,
       CASE $sort
         WHEN 'sessions' THEN toFloat(a.sessions)
         WHEN 'tokens' THEN toFloat(coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0))
         WHEN 'created' THEN toFloat(a.created_at.epochSeconds)
         WHEN 'reasoning' THEN toFloat(a.reasoning_sessions) / CASE WHEN a.sessions > 0 THEN a.sessions ELSE 1 END
         ELSE m.score
       END AS key
  ORDER BY key * $direction DESC, a.account_id
  SKIP $skip
  LIMIT $limit
  RETURN collect({account_id: a.account_id, status: a.status, created_at: toString(a.created_at),
                  plan: a.plan, country: a.country, sessions: a.sessions,
                  tokens: coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0),
                  reasoning: a.reasoning_sessions, score: m.score, flagged: m.flagged,
                  strength: m.strength}) AS members
}
RETURN n {.*, shared: null, picture: null} AS network, before.size AS previous_size,
       before.run_id AS previous_run, members;
