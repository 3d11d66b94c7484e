-- Currencies of the current deals: how many deals and how much in each, and whether the
-- amount reaches reports (reporting currency itself, or an imported FX rate converts it).
-- unconverted_*: the deals with an amount that no rate converts (left out of money figures).
SELECT coalesce(currency, '(none)') AS currency, count(*) AS deals, sum(amount) AS amount,
       count(*) FILTER (WHERE amount IS NOT NULL AND amount_reporting IS NULL) AS unconverted_deals,
       coalesce(sum(amount) FILTER (WHERE amount IS NOT NULL AND amount_reporting IS NULL), 0)
           AS unconverted_amount,
       bool_and(amount_reporting IS NOT NULL OR amount IS NULL) AS converted
FROM deals
GROUP BY ALL
ORDER BY deals DESC
