-- Import history: every upload, newest first, undone ones included (the record stays).
SELECT id, kind, file_name, rows_loaded, rows_rejected, snapshot_date, imported_at, imported_by,
       undone_at, sha256
FROM imports
ORDER BY id DESC
