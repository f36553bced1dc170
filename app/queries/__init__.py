"""Saved Cypher queries: the built-in library, analysts' own queries, and the guard
that runs any of them read-only, bounded and audited."""
