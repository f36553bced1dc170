// What every signed-in page request needs first, in one round trip: the
// login (by name) and the id of the latest complete detection run (null
// when there is none; the run that completed last), which most pages show
// by default.
OPTIONAL MATCH (u:User {username: $username})
CALL () {
  OPTIONAL MATCH (r:DetectionRun {status: 'complete'})
  WITH r ORDER BY r.finished_at DESC LIMIT 1
  RETURN r.run_id AS latest_run
}
RETURN u.username AS username, u.role AS role, u.active AS active,
       u.sessions_valid_after AS sessions_valid_after, latest_run;
