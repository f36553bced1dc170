// How many logins exist.
MATCH (u:User)
RETURN count(u) AS users;
