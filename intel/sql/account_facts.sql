-- Account facts (shared/METRICS.md, "Account stance"): one row per account in the global
-- filters' scope (region, segment, owner, product; the date range does not apply: the windows
-- are anchored on the data's last day), what the stance rules (intel/accounts.py) read:
--   anchor            the latest close date of a closed deal up to the latest snapshot (else that
--                     snapshot's date): a trailing window ends there, as everywhere (METRICS.md)
--   recent / prior    the 12 months to the anchor / the 12 months before ("this 4 quarters vs the 4 before")
--   bookings_*        amount of the deals won with a close date in the window (reporting currency)
--   bookings_change   (recent − prior) ÷ prior; NULL when nothing was booked before
--   won, lost, closed, win_rate   deals closed in the two windows together; win rate = won ÷ closed
--   won_recent, won_prior         deals won in each window (what a cycle or discount rests on)
--   cycle_*           median days created → close of the deals won in the window
--   discount_*        mean discount of the deals won in the window that carry one
--   open_deals, open_pipeline     deals not closed, and their amount
--   last_deals, competitor_recent, competitor_recent_deals, earlier_deals, competitor_earlier_deals
--                     the account's latest $recent_deals deals by created date, the competitor named
--                     most among them and how many of them name it; the deals before those, and how
--                     many of them name that competitor
--   incumbent, incumbent_losses   the competitor named most in the account's losses (any date)
--   h2h_recent, h2h_prior, h2h_recent_closed, h2h_prior_closed
--                     our win rate against that competitor in scope, recent and prior window
--   peer_win_rate, peer_closed    the win rate of the account's segment (two windows)
--   company_win_rate, company_closed  the same over every deal in scope
--   bookings_by_quarter           bookings of the last 8 quarters to the anchor's, oldest first
-- Deals without an account are left out (counted by intel.accounts). A customer is an account
-- with a deal won at any date.
WITH snap AS (
    SELECT max(snapshot_date) AS day FROM deal_facts
), anchor AS (
    SELECT coalesce(max(f.close_date) FILTER (WHERE f.is_closed AND f.close_date <= s.day), s.day) AS day,
           period_start(coalesce(max(f.close_date) FILTER (WHERE f.is_closed AND f.close_date <= s.day), s.day),
                        'quarter', $fy_start) AS quarter
    FROM deal_facts f, snap s
    GROUP BY s.day
), d AS (
    SELECT f.account, f.id, f.segment, f.region, f.industry, f.account_size, f.is_closed,
           f.is_won, f.is_lost, f.amount, f.cycle_days, f.discount_pct, f.created_date, f.close_date,
           a.day AS anchor,
           f.is_closed AND f.close_date > a.day - INTERVAL 12 MONTH AND f.close_date <= a.day AS in_recent,
           f.is_closed AND f.close_date > a.day - INTERVAL 24 MONTH
               AND f.close_date <= a.day - INTERVAL 12 MONTH AS in_prior,
           -- the quarter a won deal is booked in, counted back from the anchor's (0) to 7 quarters before
           CASE WHEN f.is_won AND f.close_date <= a.day AND f.close_date > a.day - INTERVAL 27 MONTH
                THEN date_diff('month', period_start(f.close_date, 'quarter', $fy_start), a.quarter) // 3 END AS qi,
           nullif(trim(f.competitor), '') AS named
    FROM deal_facts f, anchor a
    WHERE f.account IS NOT NULL
      AND in_scope(f.region, f.segment, f.owner, f.product, $region, $segment, $owner, $product)
), per AS (
    SELECT account, any_value(anchor) AS anchor,
           -- the value most of its deals carry; a tie goes to the first by name (mode() would take
           -- whichever the scan met first, so an account split evenly could change segment between runs)
           list_sort(list_transform(map_entries(histogram(segment)),
                                    lambda e: {'n': -CAST(e.value AS BIGINT), 'v': e.key}))[1].v AS segment,
           list_sort(list_transform(map_entries(histogram(region)),
                                    lambda e: {'n': -CAST(e.value AS BIGINT), 'v': e.key}))[1].v AS region,
           list_sort(list_transform(map_entries(histogram(industry)),
                                    lambda e: {'n': -CAST(e.value AS BIGINT), 'v': e.key}))[1].v AS industry,
           list_sort(list_transform(map_entries(histogram(account_size)),
                                    lambda e: {'n': -CAST(e.value AS BIGINT), 'v': e.key}))[1].v AS size,
           bool_or(is_won) AS is_customer,
           coalesce(sum(amount) FILTER (WHERE is_won AND in_recent), 0) AS bookings_recent,
           coalesce(sum(amount) FILTER (WHERE is_won AND in_prior), 0) AS bookings_prior,
           coalesce(sum(amount) FILTER (WHERE is_won), 0) AS lifetime_bookings,
           list_value(coalesce(sum(amount) FILTER (WHERE qi = 7), 0), coalesce(sum(amount) FILTER (WHERE qi = 6), 0), coalesce(sum(amount) FILTER (WHERE qi = 5), 0), coalesce(sum(amount) FILTER (WHERE qi = 4), 0), coalesce(sum(amount) FILTER (WHERE qi = 3), 0), coalesce(sum(amount) FILTER (WHERE qi = 2), 0), coalesce(sum(amount) FILTER (WHERE qi = 1), 0), coalesce(sum(amount) FILTER (WHERE qi = 0), 0)) AS bookings_by_quarter,
           count(*) FILTER (WHERE is_won AND (in_recent OR in_prior)) AS won,
           count(*) FILTER (WHERE is_won AND in_recent) AS won_recent,
           count(*) FILTER (WHERE is_won AND in_prior) AS won_prior,
           count(*) FILTER (WHERE is_lost AND (in_recent OR in_prior)) AS lost,
           median(cycle_days) FILTER (WHERE is_won AND (in_recent OR in_prior)) AS cycle_days,
           median(cycle_days) FILTER (WHERE is_won AND in_recent) AS cycle_recent,
           median(cycle_days) FILTER (WHERE is_won AND in_prior) AS cycle_prior,
           avg(discount_pct) FILTER (WHERE is_won AND (in_recent OR in_prior)) AS discount,
           avg(discount_pct) FILTER (WHERE is_won AND in_recent) AS discount_recent,
           avg(discount_pct) FILTER (WHERE is_won AND in_prior) AS discount_prior,
           count(*) FILTER (WHERE NOT is_closed) AS open_deals,
           coalesce(sum(amount) FILTER (WHERE NOT is_closed), 0) AS open_pipeline,
           max(created_date) AS last_created,
           count(*) AS deals,
           -- its latest $recent_deals deals by created date (undated ones last), as the competitor each names
           max_by({'named': named}, {'dated': created_date IS NOT NULL, 'day': created_date, 'id': id},
                  $recent_deals) AS latest
    FROM d
    GROUP BY account
), latest_named AS (
    SELECT account, u.named, count(*) AS n
    FROM (SELECT account, unnest(latest) AS u FROM per)
    WHERE u.named IS NOT NULL
    GROUP BY account, u.named
), latest_competitor AS (
    SELECT account, arg_min(named, (-n, named)) AS competitor_recent, max(n) AS competitor_recent_deals
    FROM latest_named GROUP BY account
), named AS (
    -- per account and competitor named: its deals, its losses, and (summed over accounts) our
    -- head-to-head record in each window
    SELECT account, named, count(*) AS deals, count(*) FILTER (WHERE is_lost) AS losses,
           count(*) FILTER (WHERE is_won AND in_recent) AS won_recent, count(*) FILTER (WHERE in_recent) AS closed_recent,
           count(*) FILTER (WHERE is_won AND in_prior) AS won_prior, count(*) FILTER (WHERE in_prior) AS closed_prior
    FROM d WHERE named IS NOT NULL
    GROUP BY account, named
), incumbent AS (
    SELECT account, arg_min(named, (-losses, named)) AS incumbent, max(losses) AS incumbent_losses
    FROM named WHERE losses > 0 GROUP BY account
), h2h AS (
    SELECT named AS competitor, sum(won_recent) / nullif(sum(closed_recent), 0) AS h2h_recent,
           sum(won_prior) / nullif(sum(closed_prior), 0) AS h2h_prior,
           sum(closed_recent) AS h2h_recent_closed, sum(closed_prior) AS h2h_prior_closed
    FROM named GROUP BY named
), peer AS (
    SELECT segment, count(*) FILTER (WHERE is_won) / nullif(count(*), 0) AS peer_win_rate, count(*) AS peer_closed
    FROM d WHERE in_recent OR in_prior
    GROUP BY segment
), company AS (
    SELECT sum(won) / nullif(sum(won + lost), 0) AS company_win_rate, sum(won + lost) AS company_closed FROM per
), wallet AS (
    SELECT account, max(annual_value) AS annual_value FROM account_lookup GROUP BY account
)
SELECT p.account, p.industry, p.segment, p.region, p.size, w.annual_value, p.is_customer,
       p.bookings_recent, p.bookings_prior,
       (p.bookings_recent - p.bookings_prior) / nullif(p.bookings_prior, 0) AS bookings_change,
       p.bookings_by_quarter, p.lifetime_bookings,
       p.won, p.lost, p.won + p.lost AS closed, p.won_recent, p.won_prior, p.won / nullif(p.won + p.lost, 0) AS win_rate,
       p.cycle_days, p.cycle_recent, p.cycle_prior, p.discount, p.discount_recent, p.discount_prior,
       p.open_deals, p.open_pipeline, p.last_created,
       len(p.latest) AS last_deals, c.competitor_recent,
       coalesce(c.competitor_recent_deals, 0) AS competitor_recent_deals,
       p.deals - len(p.latest) AS earlier_deals,
       coalesce(nc.deals - c.competitor_recent_deals, 0) AS competitor_earlier_deals,
       i.incumbent, coalesce(i.incumbent_losses, 0) AS incumbent_losses,
       h.h2h_recent, h.h2h_prior, h.h2h_recent_closed, h.h2h_prior_closed,
       pr.peer_win_rate, pr.peer_closed, co.company_win_rate, co.company_closed,
       p.bookings_recent / nullif(w.annual_value, 0) AS share_of_wallet, p.anchor
FROM per p
LEFT JOIN latest_competitor c ON c.account = p.account
LEFT JOIN named nc ON nc.account = p.account AND nc.named = c.competitor_recent
LEFT JOIN incumbent i ON i.account = p.account
LEFT JOIN h2h h ON h.competitor = i.incumbent
LEFT JOIN peer pr ON pr.segment IS NOT DISTINCT FROM p.segment
LEFT JOIN wallet w ON w.account = p.account
CROSS JOIN company co
ORDER BY p.bookings_recent DESC, p.account
