// One case with how many accounts, entities, notes and pinned items it holds.
MATCH (c:Case {case_id: $case_id})
RETURN c {.*} AS case,
       COUNT { (c)-[:INCLUDES]->(:Account) } AS members,
       COUNT { (c)-[:INCLUDES_ENTITY]->() } AS entities,
       COUNT { (c)-[:HAS_NOTE]->(:Note) } AS notes,
       COUNT { (c)-[:PINNED]->(:PinnedEvidence) } AS pinned;
