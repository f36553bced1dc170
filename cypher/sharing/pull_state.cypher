// How far the last pull of a partner's collection (its objects URL) read.
MATCH (p:PullState {url: $url})
RETURN p.added_last AS added_last, p.pulled_at AS pulled_at;
