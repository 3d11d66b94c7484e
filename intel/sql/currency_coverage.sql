-- Currencies of the current deals: how many deals and how much in each, and whether the
-- amount reaches reports (reporting currency itself, or an imported FX rate converts it).
SELECT coalesce(currency, '(none)') AS currency, count(*) AS deals, sum(amount) AS amount,
       bool_and(amount_reporting IS NOT NULL OR amount IS NULL) AS converted
FROM deals
GROUP BY ALL
ORDER BY deals DESC
