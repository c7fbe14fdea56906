"""Input errors of ingest: each names the file or table, the column and what was expected."""

from __future__ import annotations

from ..errors import InputError


class IngestError(InputError):
    """The raw tables cannot be ingested as given; the message says how to fix them."""


class MissingTableError(IngestError, FileNotFoundError):
    """A required table (customers, readings or bills) has no file in the raw folder."""


class EmptyFileError(IngestError, ValueError):
    """A file has no data rows (empty, or a header only)."""


class UnreadableFileError(IngestError, ValueError):
    """A file is not the CSV, Excel or Parquet its name says, or not in a known encoding."""


class MissingColumnError(IngestError, KeyError):
    """A required column is absent under its canonical name and all its aliases."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AmbiguousDateError(IngestError, ValueError):
    """Dates such as 05/01/2024 in a column where nothing tells day/month from month/day."""
