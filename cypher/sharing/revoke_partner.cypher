// Revoke a partner's token: it reads nothing from now on.
MATCH (p:Partner {name: $name})
// Revoking twice keeps the first time.
WHERE NOT p.revoked
SET p.revoked = true, p.revoked_at = $at
RETURN p.name AS name;
