-- Pacing of a period in progress, per member of a dimension (intel.forecast.pacing_params picks
-- the period and the day: by default the period holding the data date, read on that day):
--   day d             = days from the period's first day to the as-of day, both counted (at most
--                       the period's length); days = the period's length
--   actual to date    = bookings of the deals won with a close date from the period's first day
--                       to the as-of day (macro bookings)
--   linear pace       = target × d ÷ days
--   historical share  = the mean, over the 4 periods before (those with bookings), of the share
--                       of each one's bookings won by its own day d (close date before its first
--                       day + d days)
--   historical pace   = target × historical share
--   against a pace    = actual to date ÷ that pace
-- A row for each member with a target for the period or bookings in it so far.
WITH targets AS (
    SELECT deal_member($dim, region, segment, owner, NULL, NULL, NULL, NULL, product,
                       NULL, NULL, NULL, NULL, NULL) AS member,
           sum(target) AS target
    FROM plan_rows
    WHERE target IS NOT NULL AND (period_grain = 'month' OR $grain = 'quarter')
      AND period BETWEEN $p_start AND $p_end
      AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
    GROUP BY 1
), so_far AS (
    SELECT member, bookings AS actual_to_date, deals_won
    FROM bookings($grain, $fy_start, $dim, $p_start, $as_of, $region, $segment, $owner, $product)
), past AS (      -- each of the periods before: its bookings, and those won by its own day d
    SELECT period_start(close_date, $grain, $fy_start) AS p,
           deal_member($dim, region, segment, owner, team, manager, industry, country, product,
                       product_family, competitor, lead_source, deal_type, deal_size_band) AS member,
           sum(amount) AS bookings,
           coalesce(sum(amount) FILTER (WHERE close_date < period_start(close_date, $grain, $fy_start)
                                                         + to_days(CAST($elapsed AS INTEGER))), 0) AS by_day
    FROM deal_facts
    WHERE is_won AND close_date >= $history_start AND close_date < $p_start
      AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
    GROUP BY ALL
), history AS (
    SELECT member, avg(by_day / bookings) AS historical_share, count(*) AS periods_averaged
    FROM past WHERE bookings > 0
    GROUP BY member
)
SELECT $period AS period, CAST($p_start AS DATE) AS period_start, member,
       CAST($as_of AS DATE) AS as_of, $elapsed AS elapsed_days, $days AS period_days,
       t.target, coalesce(s.actual_to_date, 0) AS actual_to_date, coalesce(s.deals_won, 0) AS deals_won,
       t.target * $elapsed / $days AS linear_pace,
       coalesce(s.actual_to_date, 0) / nullif(t.target * $elapsed / $days, 0) AS to_linear_pace,
       h.historical_share, coalesce(h.periods_averaged, 0) AS periods_averaged,
       t.target * h.historical_share AS historical_pace,
       coalesce(s.actual_to_date, 0) / nullif(t.target * h.historical_share, 0) AS to_historical_pace
FROM targets t
FULL OUTER JOIN so_far s USING (member)
LEFT JOIN history h USING (member)
ORDER BY t.target DESC NULLS LAST, member
