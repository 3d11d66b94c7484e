-- Snapshot deals: every opportunities row (each deal in each snapshot) as
-- resolved_deals('opportunities') gives it: lookups applied, amount in the reporting currency
-- (NULL where no rate converts it). Kept by import (intel.models.refresh): this resolves the rows
-- of the imports $imports, those the table does not hold yet.
SELECT * FROM resolved_deals('opportunities')
WHERE list_contains($imports, import_id)
