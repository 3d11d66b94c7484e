-- Deal facts: each deal as of its latest snapshot, amount in the reporting currency, with the
-- outcome flags, cycle length and deal-size band every metric cuts by. Materialised after each
-- import (intel.models.refresh) so metrics do not re-rank every snapshot on every query.
-- amount is a DOUBLE here: sums for charts, not for the books.
-- no_decision: a loss whose reason (or stage) says "No decision" (METRICS.md: a loss unless
-- the page's switch excludes it). cycle_days: created date to close date.
SELECT d.id, d.name, d.account, d.owner, d.team, d.region, d.segment, d.industry, d.product,
       d.competitor, d.lead_source, d.deal_type, d.stage, d.stage_order,
       d.is_closed, d.is_won, d.is_closed AND NOT d.is_won AS is_lost,
       d.is_closed AND NOT d.is_won
           AND regexp_replace(lower(coalesce(d.loss_reason, '')), '[^a-z]', '', 'g') = 'nodecision'
           AS no_decision,
       d.loss_reason, CAST(d.amount_reporting AS DOUBLE) AS amount, d.currency, d.probability,
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
