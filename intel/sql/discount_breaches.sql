-- Discount approval breaches (shared/METRICS.md, "Discount bands"): the deals won in the range, and
-- the deals open now, in the global filters' scope, whose discount exceeds the approval threshold
-- of their deal-size band (the setting discount_approval, bound as $t1..$t4 for bands 1..4, the
-- smallest deals first); deepest excess first. A deal without an amount has no size band: it is
-- held to the strictest threshold.
SELECT id, name, account, owner, segment, region, stage,
       CASE WHEN is_won THEN 'won' ELSE 'open' END AS outcome,
       amount, deal_size_band, discount_pct,
       CASE size_band WHEN 1 THEN $t1 WHEN 2 THEN $t2 WHEN 3 THEN $t3 WHEN 4 THEN $t4
                      ELSE least($t1, $t2, $t3, $t4) END AS threshold,
       close_date
FROM deal_facts
WHERE (is_won AND ($date_from IS NULL OR close_date BETWEEN $date_from AND $date_to) OR NOT is_closed)
  AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
  AND discount_pct > CASE size_band WHEN 1 THEN $t1 WHEN 2 THEN $t2 WHEN 3 THEN $t3 WHEN 4 THEN $t4
                                    ELSE least($t1, $t2, $t3, $t4) END + 1e-9
ORDER BY discount_pct - threshold DESC, amount DESC NULLS LAST, id
LIMIT $limit
