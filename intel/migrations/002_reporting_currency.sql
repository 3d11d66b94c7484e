-- Reporting currency: a settings table the app keeps in step with SIGHTLINE_REPORTING_CURRENCY,
-- and the deals every metric reads, with their amount converted where a rate is known.

CREATE TABLE settings (
    name  VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
INSERT INTO settings VALUES ('reporting_currency', 'USD');

-- The latest imported rate per currency (1 unit = rate units of the reporting currency).
CREATE VIEW fx_latest AS
SELECT currency, arg_max(rate, coalesce(as_of, DATE '1900-01-01')) AS rate
FROM fx_rates GROUP BY currency;

-- Each deal as of its latest snapshot; amount_reporting is NULL where no rate converts it.
CREATE VIEW deals AS
SELECT o.*,
       CASE WHEN o.currency IS NULL OR o.currency = s.value THEN o.amount
            WHEN f.rate IS NOT NULL THEN CAST(o.amount * f.rate AS DECIMAL(18, 2)) END AS amount_reporting
FROM opportunities_current o
CROSS JOIN (SELECT value FROM settings WHERE name = 'reporting_currency') s
LEFT JOIN fx_latest f ON f.currency = o.currency;
