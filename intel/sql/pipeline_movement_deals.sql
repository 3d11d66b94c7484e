-- The deals behind the pipeline movement of [$p_start, $p_end] between snapshots $s0 and $s1:
-- each with its category, stage, close date and amount at both snapshots and its change.
-- $category NULL lists every category (unchanged deals included); newest changes first.
SELECT category, id, name, account, owner, region, segment, product, stage_0, stage_1,
       close_0, close_1, amount_0, amount_1, change
FROM movement($s0, $s1, $p_start, $p_end, $region, $segment, $owner, $product)
WHERE $category IS NULL OR category = $category
ORDER BY abs(change) DESC, id
LIMIT $limit
