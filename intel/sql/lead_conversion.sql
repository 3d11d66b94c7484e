-- Lead conversion (issue 17, marketing and sales alignment): per member of $funnel_by (the lead
-- source, or the campaign; '(none)' without one) and per period of $grain by the lead's created
-- date ('all': the whole range; over all time, undated leads too), the leads created and how far
-- they went: mql, sql and opportunities count the leads whose stage_reached is at least that stage
-- (a stage reached implies the ones before it: intel/leads.py); won counts the leads whose
-- converted opportunity (any of their ';'-separated deal ids) is won in deal_facts, or that reached
-- customer. A cohort: the leads of a period, whenever they went on.
-- mql_rate = mql ÷ leads, sql_rate = sql ÷ mql, opp_rate = opportunities ÷ sql,
-- won_rate = won ÷ opportunities, lead_to_won = won ÷ leads (no rate where its base is 0).
-- days_to_mql: median days from created to the MQL date; days_mql_to_sql: from the MQL date to the
-- SQL date (leads with both dates). A lead in several imports counts once, as last imported.
-- Leads carry no region, segment or product: the filters' date range applies, the others do not.
WITH latest AS (
    SELECT * FROM leads
    QUALIFY id IS NULL OR row_number() OVER (PARTITION BY id ORDER BY import_id DESC) = 1
), scoped AS (
    SELECT row_number() OVER () AS lead_key,
           coalesce(CASE $funnel_by WHEN 'campaign' THEN campaign ELSE lead_source END, '(none)') AS member,
           CASE WHEN $grain <> 'all' THEN period_start(created_date, $grain, $fy_start) END AS period,
           list_position(['lead', 'mql', 'sql', 'opportunity', 'customer'], stage_reached) AS reached,
           created_date, mql_date, sql_date, converted_opportunity_id
    FROM latest
    WHERE ($date_from IS NULL OR created_date BETWEEN $date_from AND $date_to)
      AND ($grain = 'all' OR created_date IS NOT NULL)
), deal_ids AS (
    SELECT lead_key, trim(unnest(string_split(converted_opportunity_id, ';'))) AS deal_id
    FROM scoped WHERE converted_opportunity_id IS NOT NULL
), won_leads AS (
    SELECT DISTINCT i.lead_key FROM deal_ids i JOIN deal_facts d ON d.id = i.deal_id WHERE d.is_won
), counted AS (
    SELECT s.member, s.period,
           count(*) AS leads,
           count(*) FILTER (WHERE s.reached >= 2) AS mql,
           count(*) FILTER (WHERE s.reached >= 3) AS sql,
           count(*) FILTER (WHERE s.reached >= 4) AS opportunities,
           count(*) FILTER (WHERE s.reached = 5 OR w.lead_key IS NOT NULL) AS won,
           median(date_diff('day', s.created_date, s.mql_date)) AS days_to_mql,
           median(date_diff('day', s.mql_date, s.sql_date)) AS days_mql_to_sql
    FROM scoped s LEFT JOIN won_leads w ON w.lead_key = s.lead_key
    GROUP BY s.member, s.period
)
SELECT member,
       CASE WHEN period IS NOT NULL THEN period_label(period, $grain, $fy_start) END AS period,
       period AS period_start,
       leads, mql, sql, opportunities, won,
       mql / nullif(leads, 0) AS mql_rate,
       sql / nullif(mql, 0) AS sql_rate,
       opportunities / nullif(sql, 0) AS opp_rate,
       won / nullif(opportunities, 0) AS won_rate,
       won / nullif(leads, 0) AS lead_to_won,
       days_to_mql, days_mql_to_sql
FROM counted
-- members by leads over the range (most first); by member then period over time
ORDER BY CASE WHEN $grain = 'all' THEN leads END DESC, member, period_start
