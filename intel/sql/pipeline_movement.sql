-- Pipeline movement totals of period [$p_start, $p_end] between snapshots $s0 and $s1
-- (shared/METRICS.md; the per-deal classification is the movement macro, sql/macros/pipeline.sql):
-- one row per category with its deals and amount, in waterfall order. start − won − lost −
-- pushed_out + grew − shrank + new + pulled_in = end exactly; created_and_closed is apart.
WITH m AS (
    SELECT * FROM movement($s0, $s1, $p_start, $p_end, $region, $segment, $owner, $product)
), totals AS (
    SELECT 'start' AS category, count(*) FILTER (WHERE in_p0) AS deals,
           coalesce(sum(amount_0) FILTER (WHERE in_p0), 0) AS amount FROM m
    UNION ALL
    SELECT category, count(*),
           coalesce(sum(CASE WHEN category IN ('grew', 'shrank') THEN abs(change)
                             WHEN category IN ('won', 'lost', 'pushed_out') THEN amount_0
                             ELSE amount_1 END), 0)
    FROM m WHERE category <> 'unchanged' GROUP BY category
    UNION ALL
    SELECT 'end', count(*) FILTER (WHERE in_p1), coalesce(sum(amount_1) FILTER (WHERE in_p1), 0) FROM m
), categories(category, position, sign) AS (
    VALUES ('start', 0, 1), ('won', 1, -1), ('lost', 2, -1), ('pushed_out', 3, -1), ('grew', 4, 1),
           ('shrank', 5, -1), ('new', 6, 1), ('pulled_in', 7, 1), ('end', 8, 1),
           ('created_and_closed', 9, 0)
)
SELECT c.category, coalesce(t.deals, 0) AS deals, coalesce(t.amount, 0) AS amount, c.sign
FROM categories c LEFT JOIN totals t USING (category)
ORDER BY c.position
