"""Import of CRM and market exports: detect the kind, map headers, normalise, load."""
from intel.ingest.load import ImportResult, import_file, undo_import
from intel.ingest.mapping import auto_mapping, detect_kind
from intel.ingest.read import ImportRefused

__all__ = ["ImportResult", "ImportRefused", "auto_mapping", "detect_kind", "import_file", "undo_import"]
