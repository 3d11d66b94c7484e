-- Competitor presence in losses (shared/METRICS.md) per period: losses naming the competitor
-- ÷ all losses closed in the period. Every competitor named in the range gets a row for every
-- period that had losses (0 when absent that period). Undated losses belong to no period.
WITH lost AS (
    SELECT period_start(close_date, $grain, $fy_start) AS period, competitor
    FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim)
    WHERE NOT is_won AND close_date IS NOT NULL
), periods AS (
    SELECT period, count(*) AS losses FROM lost GROUP BY period
), competitors AS (
    SELECT DISTINCT competitor FROM lost WHERE competitor IS NOT NULL
)
SELECT period_label(p.period, $grain, $fy_start) AS period, p.period AS period_start, c.competitor,
       count(l.competitor) AS losses_naming, any_value(p.losses) AS losses,
       count(l.competitor) / any_value(p.losses) AS presence
FROM periods p CROSS JOIN competitors c
LEFT JOIN lost l ON l.period = p.period AND l.competitor = c.competitor
GROUP BY p.period, c.competitor
ORDER BY p.period, c.competitor
