// One login by name.
MATCH (u:User {username: $username})
RETURN u.username AS username, u.password_hash AS password_hash, u.role AS role,
       u.active AS active, u.sessions_valid_after AS sessions_valid_after
LIMIT 1;
