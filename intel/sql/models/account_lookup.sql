-- Account lookup: each account value the deals hold (a name, or an export's account id such
-- as Salesforce's AccountId) with the account's name, industry, region, segment, country, size,
-- annual value and parent from the accounts table: by id first, else by name (lookup_key). The latest import
-- of an account wins; a parent given as an id (Account.ParentId) reads as that account's name.
WITH latest AS (
    SELECT * FROM accounts
    QUALIFY row_number() OVER (PARTITION BY coalesce(account_id, lookup_key(account)) ORDER BY import_id DESC) = 1
), named AS (
    SELECT a.account_id, a.account, lookup_key(a.account) AS name_key, a.industry, a.region, a.segment,
           a.country, a.size, a.annual_value, coalesce(p.account, a.parent) AS parent
    FROM latest a LEFT JOIN latest p ON p.account_id = a.parent
), by_name AS (
    SELECT * FROM named WHERE name_key IS NOT NULL AND name_key <> ''
    QUALIFY row_number() OVER (PARTITION BY name_key ORDER BY account_id NULLS LAST) = 1
), raw AS (
    SELECT DISTINCT account AS raw FROM opportunities WHERE account IS NOT NULL
)
SELECT r.raw, coalesce(i.account, n.account, r.raw) AS account,
       coalesce(i.industry, n.industry) AS industry, coalesce(i.region, n.region) AS region,
       coalesce(i.segment, n.segment) AS segment, coalesce(i.country, n.country) AS country,
       coalesce(i.size, n.size) AS size, CAST(coalesce(i.annual_value, n.annual_value) AS DOUBLE) AS annual_value,
       coalesce(i.parent, n.parent) AS parent
FROM raw r
LEFT JOIN named i ON i.account_id = r.raw
LEFT JOIN by_name n ON n.name_key = lookup_key(r.raw)
WHERE i.account_id IS NOT NULL OR n.name_key IS NOT NULL
