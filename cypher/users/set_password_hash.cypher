// Replace a login's password hash (re-hash on sign-in when parameters change).
MATCH (u:User {username: $username})
SET u.password_hash = $password_hash
RETURN u.username AS username;
