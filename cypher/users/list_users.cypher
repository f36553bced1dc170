// Every login with its last successful sign-in.
MATCH (u:User)
OPTIONAL CALL (u) {
  MATCH (e:AuditEvent {action: 'login.ok', actor: u.username})
  RETURN max(e.at) AS last_sign_in
}
RETURN u.username AS username, u.role AS role, u.active AS active,
       toString(u.created_at) AS created_at, toString(last_sign_in) AS last_sign_in
ORDER BY username
LIMIT 1000;
