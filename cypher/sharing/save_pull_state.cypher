// Remember how far a pull of a partner's collection read (after its import).
MERGE (p:PullState {url: $url})
SET p.added_last = $added_last, p.pulled_at = datetime()
RETURN p.url AS url;
