"""Column headers: canonical English names or the Chinese aliases marketing systems export.

The mapping applied is returned so that the loader can say what it did (``用户编号 -> customer_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..contract import Table
from .errors import MissingColumnError


def _normal(header: object) -> str:
    """Header as compared: without BOM and surrounding (full-width) spaces, lower case."""
    return str(header).replace("\ufeff", "").strip().strip("\u3000").lower()


@dataclass
class HeaderMapping:
    """How one file's headers became the contract's column names."""

    renamed: dict[str, str] = field(default_factory=dict)  # original -> canonical, when different
    extra: list[str] = field(default_factory=list)  # unknown columns, kept as they are
    ignored: dict[str, str] = field(default_factory=dict)  # second header for a taken column


def map_headers(columns: list[object], table: Table, source: str) -> HeaderMapping:
    """Match each header to a contract column; the canonical name wins over an alias.

    Raises ``MissingColumnError`` naming the file, the column and its accepted names when a
    required column has no header.
    """
    lookup: dict[str, tuple[int, str]] = {}
    for col in table.columns:
        for rank, name in enumerate((col.name, *col.aliases)):
            key = _normal(name)
            if key not in lookup or rank < lookup[key][0]:
                lookup[key] = (rank, col.name)
    mapping = HeaderMapping()
    best: dict[str, tuple[int, str]] = {}  # canonical -> (rank, original header)
    for header in columns:
        hit = lookup.get(_normal(header))
        if hit is None:
            mapping.extra.append(str(header))
            continue
        rank, canonical = hit
        taken = best.get(canonical)
        if taken is None or rank < taken[0]:
            if taken is not None:
                mapping.ignored[taken[1]] = canonical
            best[canonical] = (rank, str(header))
        else:
            mapping.ignored[str(header)] = canonical
    for canonical, (_, original) in best.items():
        if original != canonical:
            mapping.renamed[original] = canonical
    missing = [c for c in table.required if c not in best]
    if missing:
        col = table.column(missing[0])
        names = ", ".join(repr(n) for n in (col.name, *col.aliases))
        # Unrecognised headers are counted, not quoted: a file without a header line would
        # otherwise print its first data row (names, phones) in the message.
        known = [original for _, original in best.values()]
        found = f"its recognised headers are {', '.join(known)}" if known else "no header is recognised"
        raise MissingColumnError(
            f"{source} has no column for {table.name}.{col.name} (expected a header named "
            f"{names}); {found}, {len(columns) - len(known)} other(s) are not contract names"
        )
    return mapping


def apply_headers(frame: pd.DataFrame, mapping: HeaderMapping) -> pd.DataFrame:
    """Rename mapped headers to canonical names; a duplicate header for a taken column keeps its
    original name (prefixed ``extra_``) so nothing is dropped silently."""
    renames = dict(mapping.renamed)
    for original in mapping.ignored:
        renames[original] = f"extra_{original}"
    frame = frame.rename(columns={c: renames.get(str(c), str(c)) for c in frame.columns})
    return frame
