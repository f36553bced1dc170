"""Detection: projection, communities, scoring, lineage; pure functions plus read and write."""
