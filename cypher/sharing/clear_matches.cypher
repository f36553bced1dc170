// Forget what the given indicators matched (before matching them again).
UNWIND $ids AS id
MATCH (:PartnerIndicator {indicator_id: id})-[m:MATCHES]->()
DELETE m
RETURN count(m) AS cleared;
