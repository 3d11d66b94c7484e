-- Product lookup: each product value the deals hold with the product's name, family (series)
-- and list price from the products table: by id first, else by name (lookup_key, so 'GTXPro'
-- in the deals finds 'GTX Pro' in the products sheet). The latest import of a product wins.
WITH latest AS (
    SELECT *, lookup_key(product) AS name_key FROM products
    QUALIFY row_number() OVER (PARTITION BY coalesce(product_id, lookup_key(product)) ORDER BY import_id DESC) = 1
), by_name AS (
    SELECT * FROM latest WHERE name_key IS NOT NULL AND name_key <> ''
    QUALIFY row_number() OVER (PARTITION BY name_key ORDER BY product_id NULLS LAST) = 1
), raw AS (
    SELECT DISTINCT product AS raw FROM opportunities WHERE product IS NOT NULL
)
SELECT r.raw, coalesce(i.product, n.product, r.raw) AS product, coalesce(i.family, n.family) AS family,
       coalesce(i.list_price, n.list_price) AS list_price
FROM raw r
LEFT JOIN latest i ON i.product_id = r.raw
LEFT JOIN by_name n ON n.name_key = lookup_key(r.raw)
WHERE i.product_id IS NOT NULL OR n.name_key IS NOT NULL
