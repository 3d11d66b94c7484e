-- Lead-source funnel (shared/METRICS.md, "Lead-source funnel"): the opportunities created in the
-- range (by created date; no range: all time, undated deals included) in the global filters'
-- scope, per member of $funnel_by (lead_source, campaign or deal_type; a deal without one is
-- '(none)') and per period of $grain ('all': the whole range), followed to their outcome:
--   created, created_amount   opportunities created and the pipeline they brought (reporting currency)
--   pipeline_share            created_amount ÷ the pipeline created by every source in that period
--   won, lost, open           what became of them so far; win_rate = won ÷ (won + lost)
--   cycle_days                median days created → close of those won
--   average_won_deal, won_amount   over those won with an amount
--   follow_up_days, followed_up    median days from created to the deal's first stage change, over
--                             the deals whose first stage is on record within 7 days of creation
--                             (stage history, or the weekly snapshots); how many that is
--   without_amount            created without an amount (or a rate to convert it): not in the pipeline
WITH first_change AS (
    SELECT id, min(entered_at) AS first_seen, min(left_at) AS first_change
    FROM stage_events
    GROUP BY id
), created AS (
    SELECT coalesce(CASE $funnel_by WHEN 'lead_source' THEN f.lead_source WHEN 'campaign' THEN f.campaign
                                    WHEN 'deal_type' THEN f.deal_type END, '(none)') AS member,
           CASE WHEN $grain <> 'all' THEN period_start(f.created_date, $grain, $fy_start) END AS period,
           f.is_won, f.is_lost, f.is_closed, f.amount, f.cycle_days,
           CASE WHEN c.first_seen <= CAST(f.created_date AS TIMESTAMP) + INTERVAL 7 DAY
                THEN date_diff('day', f.created_date, CAST(c.first_change AS DATE)) END AS follow_up
    FROM deal_facts f
    LEFT JOIN first_change c ON c.id = f.id
    WHERE ($date_from IS NULL OR f.created_date BETWEEN $date_from AND $date_to)
      AND ($grain = 'all' OR f.created_date IS NOT NULL)
      AND in_scope(f.region, f.segment, f.owner, f.product, $region, $segment, $owner, $product)
), counted AS (
    SELECT member, period,
           count(*) AS created, coalesce(sum(amount), 0) AS created_amount, count(*) - count(amount) AS without_amount,
           count(*) FILTER (WHERE is_won) AS won, count(*) FILTER (WHERE is_lost) AS lost,
           count(*) FILTER (WHERE NOT is_closed) AS open,
           median(cycle_days) FILTER (WHERE is_won) AS cycle_days,
           avg(amount) FILTER (WHERE is_won) AS average_won_deal,
           coalesce(sum(amount) FILTER (WHERE is_won), 0) AS won_amount,
           median(follow_up) FILTER (WHERE follow_up >= 0) AS follow_up_days,
           count(follow_up) FILTER (WHERE follow_up >= 0) AS followed_up
    FROM created
    GROUP BY member, period
)
SELECT member,
       CASE WHEN period IS NOT NULL THEN period_label(period, $grain, $fy_start) END AS period,
       period AS period_start,
       created, created_amount,
       created_amount / nullif(sum(created_amount) OVER (PARTITION BY period), 0) AS pipeline_share,
       won, lost, open, won / nullif(won + lost, 0) AS win_rate,
       wilson_low(won, won + lost) AS win_rate_low, wilson_high(won, won + lost) AS win_rate_high,
       cycle_days, average_won_deal, won_amount, follow_up_days, followed_up, without_amount,
       won + lost < $min_sample AS small_sample
FROM counted
ORDER BY period_start NULLS FIRST, created_amount DESC, member
