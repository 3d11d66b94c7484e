-- Bookings bridge between two periods (0 → 1) over a dimension s (shared/METRICS.md), per
-- member: n = deals won, a = average won deal, share = n ÷ N.
--   mix effect of s       = N₁ × (share₁ₛ − share₀ₛ) × a₀ₛ
--   deal-size effect of s = n₁ₛ × (a₁ₛ − a₀ₛ)
-- A member absent in period 0 takes a₀ₛ = a₁ₛ. The deal-count effect (N₁ − N₀) × A₀ is a
-- total (intel.forecast.bookings_bridge adds it); the three add up to B₁ − B₀ exactly.
WITH won AS (
    SELECT CASE WHEN period_start(close_date, $grain, $fy_start) = $p0 THEN 0 ELSE 1 END AS side,
           deal_member($dim, region, segment, owner, team, manager, industry, country, product,
                       product_family, competitor, lead_source, deal_type, deal_size_band) AS member, amount
    FROM deal_facts
    WHERE is_won AND period_start(close_date, $grain, $fy_start) IN ($p0, $p1)
      AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
), per_member AS (
    SELECT member,
           count(*) FILTER (WHERE side = 0) AS deals_0, coalesce(sum(amount) FILTER (WHERE side = 0), 0) AS bookings_0,
           count(*) FILTER (WHERE side = 1) AS deals_1, coalesce(sum(amount) FILTER (WHERE side = 1), 0) AS bookings_1
    FROM won GROUP BY ALL
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
