-- Deal facts: each deal as of its latest snapshot, amount in the reporting currency, with the
-- outcome flags, cycle length and deal-size band every metric cuts by. Materialised after each
-- import (intel.models.refresh) so metrics do not re-rank every snapshot on every query.
-- amount is a DOUBLE here: sums for charts, not for the books; has_amount: the export gave one
-- (amount NULL with has_amount: no exchange rate for its currency).
-- no_decision: a loss whose reason (or stage) matches one of the no-decision patterns
-- (intel/outcomes.py, bound as $no_decision; METRICS.md: a loss unless the page's switch
-- excludes it). cycle_days: created date to close date. manager, country, product_family and
-- account_size come from the uploaded owners, accounts and products tables (resolved_deals).
SELECT d.id, d.name, d.account, d.owner, d.team, d.manager, d.region, d.country, d.segment, d.industry,
       d.account_size, d.product, d.product_family,
       d.competitor, d.lead_source, d.campaign, d.deal_type, d.discount_pct, d.stage, d.stage_order,
       d.is_closed, d.is_won, d.is_closed AND NOT d.is_won AS is_lost,
       d.is_closed AND NOT d.is_won
           AND (regexp_matches(lower(coalesce(d.loss_reason, '')), $no_decision)
                OR regexp_matches(lower(coalesce(d.stage, '')), $no_decision)) AS no_decision,
       d.loss_reason, CAST(d.amount_reporting AS DOUBLE) AS amount, d.amount IS NOT NULL AS has_amount,
       d.currency, d.probability,
       d.created_date, d.close_date, date_diff('day', d.created_date, d.close_date) AS cycle_days,
       CASE WHEN d.amount_reporting IS NULL THEN NULL
            ELSE 1 + (d.amount_reporting > $q1)::INT + (d.amount_reporting > $q2)::INT
                   + (d.amount_reporting > $q3)::INT END AS size_band,
       CASE WHEN d.amount_reporting IS NULL THEN NULL
            WHEN d.amount_reporting <= $q1 THEN $label1 WHEN d.amount_reporting <= $q2 THEN $label2
            WHEN d.amount_reporting <= $q3 THEN $label3 ELSE $label4 END AS deal_size_band,
       d.snapshot_date
FROM deals d
ORDER BY d.close_date
