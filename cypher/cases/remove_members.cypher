// Take accounts out of a case.
UNWIND $account_ids AS id
MATCH (:Case {case_id: $case_id})-[r:INCLUDES]->(:Account {account_id: id})
DELETE r
RETURN count(*) AS removed;
