// Reserve $count new network ids (a counter that only grows).
MERGE (s:Sequence {name: 'network'})
ON CREATE SET s.value = 0
SET s.value = s.value + $count
RETURN s.value - $count AS first;
