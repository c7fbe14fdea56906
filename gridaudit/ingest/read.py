"""Finding the raw files of each table and reading them as text, whatever their encoding.

CSV files are read with every column as text (``dtype=str``) so that account numbers such as
``00123`` keep their zeros; types are converted later, column by column, by ``values``.
Parquet keeps its own types (the converters accept typed columns as they are).
"""

from __future__ import annotations

import io
import logging
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
from openpyxl.utils.exceptions import InvalidFileException

from ..contract import TABLES
from .errors import EmptyFileError, IngestError, UnreadableFileError

log = logging.getLogger(__name__)

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES

# Tried in this order: a BOM wins, then strict UTF-8, then the Chinese code pages.
ENCODINGS = ("utf-8", "gbk", "gb18030")


@dataclass
class RawFile:
    """One file's content as read: canonical names are not applied yet."""

    path: Path
    frame: pd.DataFrame
    encoding: str | None  # None for Parquet and Excel (binary formats)
    typed: bool  # True when columns carry their own types (Parquet)
    sheet: str | None = None


def table_of(path: Path) -> str | None:
    """The table a raw file or folder belongs to: its name without suffixes."""
    name = path.name.split(".")[0]
    return name if name in TABLES else None


def discover(raw_dir: str | Path) -> tuple[dict[str, list[Path]], list[str]]:
    """Files per table under ``raw_dir``, and the names that belong to no table.

    Names starting with ``_`` or ``.`` (for example ``_truth/``) are ignored silently.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise IngestError(f"the raw folder {raw_dir} does not exist or is not a folder")
    found: dict[str, list[Path]] = {}
    owner: dict[str, Path] = {}
    unknown: list[str] = []
    for entry in sorted(raw_dir.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        table = table_of(entry)
        if table is None or (entry.is_file() and entry.suffix.lower() not in SUFFIXES):
            unknown.append(entry.name)
            continue
        if table in owner:
            raise IngestError(
                f"the raw folder has two sources for table {table}: {owner[table].name} and "
                f"{entry.name}; keep one of them (or put the parts in a folder {table}/)"
            )
        owner[table] = entry
        if entry.is_dir():
            parts = sorted(
                p
                for p in entry.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not any(part.startswith(("_", ".")) for part in p.relative_to(entry).parts)
            )
            if not parts:
                raise EmptyFileError(
                    f"the folder {entry} for table {table} holds no CSV, Excel or Parquet files"
                )
            found[table] = parts
        else:
            found[table] = [entry]
    return found, unknown


def detect_encoding(data: bytes, path: Path) -> str:
    """``utf-8-sig`` (BOM), ``utf-8``, ``gbk`` or ``gb18030``: the first that decodes the bytes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for encoding in ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise UnreadableFileError(
        f"{path.name} is neither UTF-8 nor GBK/GB18030 text; export it again as UTF-8 CSV"
    )


def _sniff_binary(data: bytes, path: Path) -> None:
    """Refuse a workbook or Parquet file saved under a .csv name, with the fix."""
    if data.startswith(b"PK\x03\x04"):
        raise UnreadableFileError(
            f"{path.name} is an Excel workbook (or another zip file), not CSV text; "
            f"rename it to {path.stem}.xlsx"
        )
    if data.startswith(b"PAR1"):
        raise UnreadableFileError(
            f"{path.name} is a Parquet file, not CSV text; rename it to {path.stem}.parquet"
        )
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFileError(f"{path.name} is a binary file, not CSV text")


def read_csv(path: Path) -> RawFile:
    data = path.read_bytes()
    if not data.strip():
        raise EmptyFileError(f"{path.name} is empty; expected a header line and data rows")
    _sniff_binary(data, path)
    encoding = detect_encoding(data, path)
    text = data.decode(encoding).removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    sep = "\t" if "\t" in first_line and "," not in first_line else ","
    utf8 = data[3:] if encoding == "utf-8-sig" else data if encoding == "utf-8" else text.encode("utf-8")
    options = {"sep": sep, "dtype": str, "keep_default_na": False, "na_values": [""]}
    try:  # Arrow's multi-threaded reader first; pandas' own parser explains malformed files
        frame = pd.read_csv(io.BytesIO(utf8), engine="pyarrow", **options)
    except (ValueError, pa.ArrowException):  # its message may quote a row: never shown
        frame = _read_csv_checked(text, options, path)
    return RawFile(path, frame, "utf-8-bom" if encoding == "utf-8-sig" else encoding, typed=False)


def _read_csv_checked(text: str, options: dict, path: Path) -> pd.DataFrame:
    """pandas' parser, refusing rows with more fields than the header (it would drop them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(io.StringIO(text), index_col=False, **options)
        except pd.errors.ParserWarning as exc:
            raise UnreadableFileError(
                f"{path.name} has rows with more fields than its header has columns (often a number "
                f"written with a thousands comma such as 1,000 without quotes); quote such values "
                f"or remove the commas"
            ) from exc
        except pd.errors.ParserError as exc:
            raise UnreadableFileError(
                f"{path.name} is not a well-formed CSV file: {str(exc).strip()}"
            ) from exc


def read_excel(path: Path) -> RawFile:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
        sheet = book.sheet_names[0]
        frame = pd.read_excel(book, sheet_name=sheet, dtype=str)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, InvalidFileException) as exc:
        raise UnreadableFileError(f"{path.name} could not be read as an Excel workbook: {exc}") from exc
    sheets = len(book.sheet_names)
    label = str(sheet) if sheets == 1 else f"{sheet} (the first of {sheets} sheets; the others are not read)"
    return RawFile(path, frame, None, typed=False, sheet=label)


def read_parquet(path: Path) -> RawFile:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise UnreadableFileError(
            f"{path.name} could not be read as a Parquet file (it is damaged or not Parquet); export it again"
        ) from exc
    return RawFile(path, frame, None, typed=True)


def read_file(path: str | Path) -> RawFile:
    """Read one raw file by its suffix; a header without rows is an error the user can fix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        raw = read_csv(path)
    elif suffix in EXCEL_SUFFIXES:
        raw = read_excel(path)
    elif suffix in PARQUET_SUFFIXES:
        raw = read_parquet(path)
    else:
        raise UnreadableFileError(
            f"{path.name} is not a CSV, Excel (.xlsx) or Parquet file; save it in one of these"
        )
    if raw.frame.empty:
        raise EmptyFileError(f"{path.name} has a header but no data rows; expected at least one row")
    log.info("read %s: %d rows, encoding %s", path.name, len(raw.frame), raw.encoding or "binary")
    return raw
