// Wait until every index is online (after schema migrations).
CALL db.awaitIndexes(300);
