-- Owner lookup: each owner value the deals hold (a name, or an export's user id such as
-- Salesforce's OwnerId) with the person's name, team, manager and region from the owners
-- table: matched by id first, else by name (lookup_key: case and punctuation aside). The latest
-- import of a person wins. A manager given as an id (User.ManagerId) reads as that person's
-- name; a sheet naming a manager but no team takes the manager's team as the team.
WITH people AS (
    SELECT * FROM owners
    QUALIFY row_number() OVER (PARTITION BY coalesce(owner_id, lookup_key(owner)) ORDER BY import_id DESC) = 1
), named AS (
    SELECT p.owner_id, p.owner, lookup_key(p.owner) AS name_key, coalesce(m.owner, p.manager) AS manager,
           coalesce(p.team, m.owner, p.manager) AS team, p.region
    FROM people p LEFT JOIN people m ON m.owner_id = p.manager
), by_name AS (
    SELECT * FROM named WHERE name_key IS NOT NULL AND name_key <> ''
    QUALIFY row_number() OVER (PARTITION BY name_key ORDER BY owner_id NULLS LAST) = 1
), raw AS (
    SELECT DISTINCT owner AS raw FROM opportunities WHERE owner IS NOT NULL
)
SELECT r.raw, coalesce(i.owner, n.owner, r.raw) AS owner, coalesce(i.team, n.team) AS team,
       coalesce(i.manager, n.manager) AS manager, coalesce(i.region, n.region) AS region
FROM raw r
LEFT JOIN named i ON i.owner_id = r.raw
LEFT JOIN by_name n ON n.name_key = lookup_key(r.raw)
WHERE i.owner_id IS NOT NULL OR n.name_key IS NOT NULL
