-- Discount governance per deal-size band (shared/METRICS.md): the deals won in the range and the
-- deals open now, in the global filters' scope, that carry a discount; per deal-size band, the
-- approval threshold in force ($t1..$t4, the setting discount_approval), the deals, how many
-- exceed it (breaches) and their share, the mean discount, and the amount of the breaching deals.
-- Deals without an amount have no band ('(no amount)') and are held to the strictest threshold.
WITH held AS (
    SELECT coalesce(deal_size_band, '(no amount)') AS deal_size_band, coalesce(size_band, 9) AS band_order,
           discount_pct, amount,
           CASE size_band WHEN 1 THEN $t1 WHEN 2 THEN $t2 WHEN 3 THEN $t3 WHEN 4 THEN $t4
                          ELSE least($t1, $t2, $t3, $t4) END AS threshold
    FROM deal_facts
    WHERE (is_won AND ($date_from IS NULL OR close_date BETWEEN $date_from AND $date_to) OR NOT is_closed)
      AND discount_pct IS NOT NULL
      AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
)
SELECT deal_size_band, any_value(threshold) AS threshold, count(*) AS deals,
       count(*) FILTER (WHERE discount_pct > threshold + 1e-9) AS breaches,
       count(*) FILTER (WHERE discount_pct > threshold + 1e-9) / count(*) AS breach_share,
       avg(discount_pct) AS avg_discount,
       coalesce(sum(amount) FILTER (WHERE discount_pct > threshold + 1e-9), 0) AS breach_amount
FROM held
GROUP BY deal_size_band, band_order
ORDER BY band_order
