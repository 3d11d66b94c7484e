-- Win rate per member of a dimension (region, segment, owner, team, product, competitor,
-- lead_source, deal_size_band) over the deals closed in the range (shared/METRICS.md):
-- won ÷ (won + lost), "No decision" left out when exclude_nd; win rate by value on amounts;
-- 95% Wilson interval; small_sample below min_sample closed deals. A deal with no value for
-- the dimension counts under '(none)'. Sorted by win rate, small samples last.
WITH closed AS (
    SELECT f.member AS member,
           f.is_won, f.amount
    FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim) f
), counted AS (
    SELECT member,
           count(*) FILTER (WHERE is_won) AS won,
           count(*) FILTER (WHERE NOT is_won) AS lost,
           coalesce(sum(amount) FILTER (WHERE is_won), 0) AS won_amount,
           coalesce(sum(amount) FILTER (WHERE NOT is_won), 0) AS lost_amount
    FROM closed GROUP BY member
)
SELECT member, won, lost, won + lost AS closed,
       won / (won + lost) AS win_rate,
       wilson_low(won, won + lost) AS win_rate_low,
       wilson_high(won, won + lost) AS win_rate_high,
       won_amount, lost_amount,
       -- losses that all carry no amount make the value rate undefined, not 100% (METRICS.md)
       CASE WHEN lost > 0 AND lost_amount = 0 THEN NULL
            ELSE won_amount / nullif(won_amount + lost_amount, 0) END AS win_rate_by_value,
       won + lost < $min_sample AS small_sample
FROM counted
ORDER BY small_sample, win_rate DESC, closed DESC, member
