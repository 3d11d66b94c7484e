-- The global filters: which deals are in scope.

-- A global filter: an empty choice keeps everything.
CREATE OR REPLACE MACRO chosen(value, choice) AS (len(choice) = 0 OR list_contains(choice, value));
