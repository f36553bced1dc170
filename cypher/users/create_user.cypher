// Create an investigator login; fails on an existing name (uniqueness constraint).
CREATE (u:User {username: $username})
SET
  u.password_hash = $password_hash,
  u.role = $role,
  u.created_at = datetime(),
  u.active = true
RETURN u.username AS username;
