// Sign a login out everywhere: sessions begun before now stop counting.
MATCH (u:User {username: $username})
SET u.sessions_valid_after = $now
RETURN u.username AS username;
