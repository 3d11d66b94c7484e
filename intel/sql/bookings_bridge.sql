-- Bookings bridge between two periods (0 → 1) over a dimension s (shared/METRICS.md), per
-- member: n = deals won, a = average won deal, share = n ÷ N.
--   mix effect of s       = N₁ × (share₁ₛ − share₀ₛ) × a₀ₛ
--   deal-size effect of s = n₁ₛ × (a₁ₛ − a₀ₛ)
-- A member absent in period 0 takes a₀ₛ = a₁ₛ. The deal-count effect (N₁ − N₀) × A₀ is a
-- total (intel.forecast.bookings_bridge adds it); the three add up to B₁ − B₀ exactly.
WITH won AS (      -- bookings of the two periods: one row per period and member
    SELECT CASE WHEN period_start = $p0 THEN 0 ELSE 1 END AS side, member, deals_won, bookings
    FROM bookings($grain, $fy_start, $dim, least($p0, $p1), range_last_day(greatest($p0, $p1), $grain, $fy_start),
                  $region, $segment, $owner, $product)
    WHERE period_start IN ($p0, $p1)
), per_member AS (
    SELECT member,
           coalesce(w0.deals_won, 0) AS deals_0, coalesce(w0.bookings, 0) AS bookings_0,
           coalesce(w1.deals_won, 0) AS deals_1, coalesce(w1.bookings, 0) AS bookings_1
    FROM (SELECT * FROM won WHERE side = 0) w0 FULL OUTER JOIN (SELECT * FROM won WHERE side = 1) w1 USING (member)
), averaged AS (
    SELECT *, bookings_1 / nullif(deals_1, 0) AS avg_1,
           coalesce(bookings_0 / nullif(deals_0, 0), bookings_1 / nullif(deals_1, 0)) AS avg_0,
           sum(deals_0) OVER () AS n0_total, sum(deals_1) OVER () AS n1_total
    FROM per_member
)
SELECT member, deals_0, bookings_0, avg_0, deals_1, bookings_1, avg_1,
       CASE WHEN n0_total = 0 THEN 0
            ELSE n1_total * (coalesce(deals_1 / nullif(n1_total, 0), 0) - deals_0 / n0_total) * avg_0 END AS mix_effect,
       CASE WHEN n0_total = 0 THEN 0 ELSE deals_1 * (coalesce(avg_1, 0) - avg_0) END AS size_effect
FROM averaged
ORDER BY bookings_1 + bookings_0 DESC, member
