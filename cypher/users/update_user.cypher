// Change a login's role or switch it on or off (null leaves a field as it is).
MATCH (u:User {username: $username})
SET u.role = coalesce($role, u.role),
    u.active = coalesce($active, u.active)
RETURN u.username AS username, u.role AS role, u.active AS active;
