-- The deals behind a win-loss number: closed in the range and scope, optionally only one
-- member of a dimension ($dim/$member), one period ($period_start at $grain), one loss reason
-- ($reason) or one competitor ($competitor). NULL parameters select everything. The newest
-- $limit deals are listed.
SELECT f.id, f.name, f.account, f.owner, f.region, f.segment, f.product, f.competitor,
       CASE WHEN f.is_won THEN 'won' ELSE 'lost' END AS outcome, f.loss_reason, f.amount,
       f.created_date, f.close_date, f.cycle_days, f.deal_size_band
FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim) f
WHERE ($member IS NULL OR f.member = $member)
  AND ($period_start IS NULL OR period_start(f.close_date, $grain, $fy_start) = $period_start)
  AND ($reason IS NULL OR (NOT f.is_won AND coalesce(f.loss_reason, '(no reason given)') = $reason))
  AND ($competitor IS NULL OR f.competitor = $competitor)
ORDER BY f.close_date DESC, f.id
LIMIT $limit
