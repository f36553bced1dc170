// Where each pull of a partner's collection got to (the last date_added its
// server reported), so the next pull reads only what was added since.
CREATE CONSTRAINT pull_state_url IF NOT EXISTS
FOR (n:PullState) REQUIRE n.url IS UNIQUE;
