-- Discount bands (shared/METRICS.md, "Discount bands"): the deals closed in the range in the
-- global filters' scope, per member of $dim ('total': 'All') and per discount band:
-- 0% | over 0 to 10% | over 10 to 20% | over 20 to 30% | over 30% (band_order 0..4); deals that carry no
-- discount are '(not given)' (band_order 9), counted, in no band.
--   closed, won, lost, win_rate (won ÷ closed) with its 95% interval, small_sample under min_sample
--   average_won_deal, won_amount   over the deals won with an amount (reporting currency)
--   avg_discount                   mean discount of the band's closed deals
-- With exclude_nd, "No decision" losses leave both sides (the Win-loss switch).
WITH banded AS (
    SELECT member, is_won, amount, discount_pct,
           CASE WHEN discount_pct IS NULL THEN 9 WHEN discount_pct <= 0 THEN 0 WHEN discount_pct <= 0.10 THEN 1
                WHEN discount_pct <= 0.20 THEN 2 WHEN discount_pct <= 0.30 THEN 3 ELSE 4 END AS band_order
    FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim)
), counted AS (
    SELECT member, band_order, count(*) AS closed,
           count(*) FILTER (WHERE is_won) AS won, count(*) FILTER (WHERE NOT is_won) AS lost,
           avg(amount) FILTER (WHERE is_won) AS average_won_deal,
           coalesce(sum(amount) FILTER (WHERE is_won), 0) AS won_amount,
           avg(discount_pct) AS avg_discount
    FROM banded
    GROUP BY member, band_order
)
SELECT member,
       CASE band_order WHEN 0 THEN '0%' WHEN 1 THEN '0–10%' WHEN 2 THEN '10–20%' WHEN 3 THEN '20–30%'
                       WHEN 4 THEN 'over 30%' ELSE '(not given)' END AS discount_band,
       band_order, closed, won, lost, won / nullif(closed, 0) AS win_rate,
       wilson_low(won, closed) AS win_rate_low, wilson_high(won, closed) AS win_rate_high,
       average_won_deal, won_amount, avg_discount, closed < $min_sample AS small_sample
FROM counted
ORDER BY member, band_order
