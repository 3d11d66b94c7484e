-- Win rate per member of a dimension and per period: the trend of each segment, region...
-- Same definition as win_rate_by (won ÷ (won + lost) of deals closed in the period, Wilson
-- interval, small_sample below min_sample); members with no closed deal in a period are absent.
-- Undated closed deals belong to no period.
WITH closed AS (
    SELECT f.member AS member,
           period_start(f.close_date, $grain, $fy_start) AS period, f.is_won
    FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim) f
    WHERE f.close_date IS NOT NULL
), counted AS (
    SELECT member, period, count(*) FILTER (WHERE is_won) AS won,
           count(*) FILTER (WHERE NOT is_won) AS lost
    FROM closed GROUP BY member, period
)
SELECT member, period_label(period, $grain, $fy_start) AS period, period AS period_start,
       won, lost, won + lost AS closed, won / (won + lost) AS win_rate,
       wilson_low(won, won + lost) AS win_rate_low, wilson_high(won, won + lost) AS win_rate_high,
       won + lost < $min_sample AS small_sample
FROM counted
ORDER BY member, period_start
