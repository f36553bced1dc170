// A page of a network's members in one run, sorted by a numeric column.
// (A Network node belongs to one run, so all its MEMBER_OF are of that run.)
// Sorted and cut to the page before the columns are read: only the page's
// rows pay for their properties.
MATCH (:Network {network_id: $network_id, run_id: $run_id})<-[m:MEMBER_OF]-(a:Account)
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
// One row holding the page as a list: the driver reads one record instead of
// one per member (a millisecond of the app's CPU per page).
RETURN collect({account_id: a.account_id, status: a.status,
                created_at: toString(a.created_at), plan: a.plan, country: a.country,
                sessions: a.sessions,
                tokens: coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0),
                reasoning: a.reasoning_sessions, score: m.score, flagged: m.flagged,
                strength: m.strength}) AS members;
