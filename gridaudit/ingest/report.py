"""What ingest did, per table: counts that always add up, and notes an auditor can check.

Notes name files, encodings, headers and counts; they never hold a cell value of a personal
column (name, address, phone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table as RichTable

from .parse import FileNotes


@dataclass
class TableReport:
    """Counts and notes for one table. ``read == accepted + quarantined`` always."""

    name: str
    read: int
    accepted: int
    quarantined: int
    stored: int  # rows in the warehouse table after this run (append adds to earlier rows)
    files: list[FileNotes] = field(default_factory=list)
    checks_failed: dict[str, int] = field(default_factory=dict)
    snapshot_hash: str = ""
    messages: list[str] = field(default_factory=list)  # further notes, e.g. interval readings

    def __post_init__(self) -> None:
        if self.read != self.accepted + self.quarantined:
            raise AssertionError(
                f"{self.name}: {self.read} rows read but {self.accepted} accepted + "
                f"{self.quarantined} quarantined"
            )

    @property
    def header_mapping(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.files:
            out.update(f.headers.renamed)
        return out

    @property
    def values_mapped(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            for column, counts in f.values_mapped.items():
                out[column] = out.get(column, 0) + sum(counts.values())
        return out

    @property
    def defaults_filled(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            for column, n in f.defaults_filled.items():
                out[column] = out.get(column, 0) + n
        return out

    def notes(self) -> list[str]:
        """Short sentences: encoding, header mapping, values mapped, defaults, extras, checks."""
        lines = []
        encodings = sorted({f.encoding for f in self.files if f.encoding})
        if encodings:
            lines.append("encoding " + ", ".join(e.upper() for e in encodings))
        sheets = sorted({f.sheet for f in self.files if f.sheet})
        if sheets:
            lines.append("Excel sheet " + ", ".join(sheets))
        blank = sum(f.blank_rows for f in self.files)
        if blank:
            lines.append(f"{blank} blank rows skipped")
        if len(self.files) > 1:
            lines.append(f"{len(self.files)} files")
        mapping = self.header_mapping
        if mapping:
            lines.append("headers mapped: " + ", ".join(f"{k}->{v}" for k, v in mapping.items()))
        orders = {c: o for f in self.files for c, o in f.date_orders.items()}
        for column, order in orders.items():
            lines.append(f"{column}: dates read as {order}")
        for column, n in self.values_mapped.items():
            lines.append(f"{n} {column} values mapped from Chinese names")
        for column, n in self.defaults_filled.items():
            lines.append(f"{column} empty in {n} rows, filled with the default")
        extras = sorted({c for f in self.files for c in f.headers.extra})
        if extras:
            lines.append("extra columns kept: " + ", ".join(extras))
        ignored = {k: v for f in self.files for k, v in f.headers.ignored.items()}
        if ignored:
            lines.append(
                "second header for a column kept as extra_<name>: "
                + ", ".join(f"{k} ({v})" for k, v in ignored.items())
            )
        lines.extend(self.messages)
        for check, n in self.checks_failed.items():
            lines.append(f"{n} {'row' if n == 1 else 'rows'} quarantined: {check}")
        return lines

    def as_dict(self) -> dict:
        return {
            "rows_read": self.read,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "rows_in_warehouse": self.stored,
            "checks_failed": self.checks_failed,
            "messages": self.messages,
            "source_files": [
                {
                    "file": f.file,
                    "rows": f.rows,
                    "sha256": f.sha256,
                    "blank_rows": f.blank_rows,
                    "encoding": f.encoding,
                    "sheet": f.sheet,
                    "header_mapping": f.headers.renamed,
                    "extra_columns": f.headers.extra,
                    "absent_columns": f.absent_columns,
                    "values_mapped": f.values_mapped,
                    "defaults_filled": f.defaults_filled,
                    "date_orders": f.date_orders,
                }
                for f in self.files
            ],
            "snapshot_hash": self.snapshot_hash,
        }


@dataclass
class IngestReport:
    """The result of one ingest run, table by table."""

    warehouse: Path
    tables: dict[str, TableReport] = field(default_factory=dict)
    unknown_files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    append: bool = False

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables.values())

    @property
    def quarantine_dir(self) -> Path | None:
        """Where quarantined rows were written, or None when every row was accepted."""
        from ..io import QUARANTINE_DIR

        return self.warehouse / QUARANTINE_DIR if self.quarantined else None

    def to_rich(self) -> RichTable:
        """The counts and notes as a rich table (what ``gridaudit ingest`` prints)."""
        out = RichTable(title=f"Ingest into {self.warehouse}", show_lines=True)
        out.add_column("table")
        out.add_column("read", justify="right")
        out.add_column("accepted", justify="right")
        out.add_column("quarantined", justify="right")
        out.add_column("notes")
        for name, t in self.tables.items():
            out.add_row(
                name,
                f"{t.read:,}",
                f"{t.accepted:,}",
                f"{t.quarantined:,}" if t.quarantined else "0",
                "\n".join(t.notes()),
            )
        return out

    def __rich__(self) -> RichTable:
        return self.to_rich()

    def as_dict(self) -> dict:
        return {
            "warehouse": str(self.warehouse),
            "append": self.append,
            "tables": {name: t.as_dict() for name, t in self.tables.items()},
            "unknown_files": self.unknown_files,
            "notes": self.notes,
        }
