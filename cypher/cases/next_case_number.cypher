// Reserve the next case number (a counter that only grows).
MERGE (s:Sequence {name: 'case'})
ON CREATE SET s.value = 0
SET s.value = s.value + 1
RETURN s.value AS number;
