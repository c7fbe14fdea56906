"""Ingest: raw exports (CSV in UTF-8 or GBK, Excel, Parquet) -> checked Parquet warehouse.

Headers and values may be the contract's English names or the Chinese ones marketing systems
export; rows that fail a check go to ``<warehouse>/_quarantine/<table>.csv`` with a reason,
never silently dropped, and ``read == accepted + quarantined`` for every table.
"""

from .errors import (
    AmbiguousDateError,
    EmptyFileError,
    IngestError,
    MissingColumnError,
    MissingTableError,
    UnreadableFileError,
)
from .load import ingest, read_raw_table
from .report import IngestReport, TableReport

__all__ = [
    "AmbiguousDateError",
    "EmptyFileError",
    "IngestError",
    "IngestReport",
    "MissingColumnError",
    "MissingTableError",
    "TableReport",
    "UnreadableFileError",
    "ingest",
    "read_raw_table",
]
