"""Cell values: text to the contract's kinds, Chinese value aliases, dates in the forms exports use.

Every converter takes a column as read (text from CSV/Excel, or typed from Parquet) and returns
``(converted, bad)`` where ``bad`` marks cells that held something but could not be converted;
empty cells are missing, never zero and never bad. Work is vectorised; dates are parsed once
per distinct text (a daily curve has a few hundred distinct dates for millions of rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import VALUE_ALIASES

# Text that exports write for "no value".
MISSING_TOKENS = ("", "NULL", "null", "None", "NaN", "nan", "NA", "N/A", "#N/A", "NaT")

# Excel serial day numbers accepted as dates: 1954-10-03 .. 2119-01-10.
EXCEL_SERIAL_RANGE = (20_000, 80_000)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")

DATE_UNIT = "datetime64[us]"

_TIME = r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{1,2})(?::(?P<second>\d{1,2})(?:\.\d+)?)?)?"
_DATE_PATTERNS = (
    rf"^(?P<year>\d{{4}})[-/.](?P<month>\d{{1,2}})[-/.](?P<day>\d{{1,2}}){_TIME}$",
    rf"^(?P<year>\d{{4}})年(?P<month>\d{{1,2}})月(?P<day>\d{{1,2}})日?{_TIME}$",
    rf"^(?P<year>\d{{4}})(?P<month>\d{{2}})(?P<day>\d{{2}}){_TIME}$",
)
_MONTH_PATTERNS = (
    r"^(?P<year>\d{4})[-/.年](?P<month>\d{1,2})月?$",
    r"^(?P<year>\d{4})(?P<month>\d{2})$",
)


def as_text(series: pd.Series) -> pd.Series:
    """Stripped text with the export's 'no value' tokens as missing."""
    text = series.astype("str").str.strip()
    return text.mask(text.isin(MISSING_TOKENS) | series.isna())


def to_str(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Identifiers and labels stay text; a number column (Parquet) becomes text without '.0'."""
    if pd.api.types.is_float_dtype(series.dtype):
        whole = series.dropna()
        if (whole == np.floor(whole)).all():
            series = series.astype("Int64")
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        text = series.astype("str").where(series.notna())
    else:
        text = as_text(series)
    return text.astype("str"), pd.Series(False, index=series.index)


def _cast_float(text: pd.Series) -> pd.Series | None:
    """Arrow's strict text -> float cast (fast); None when some cell is not a plain number."""
    try:
        values = pc.cast(pa.array(text), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return None
    return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


def to_float(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.astype("float64")
        return values, pd.Series(False, index=series.index)
    text = as_text(series)
    values = _cast_float(text)
    if values is None:  # some cells need care: thousands separators, or not numbers at all
        text = text.str.replace(",", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = text.notna() & (values.isna() | np.isinf(values))
    return values.mask(bad), bad


def to_int(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    values, bad = to_float(series)
    fractional = values.notna() & (values != np.floor(values))
    bad = bad | fractional
    return values.mask(fractional).round().astype("Int64"), bad


def _from_parts(parts: pd.DataFrame) -> pd.Series:
    """Timestamps from year/month/day/hour/minute/second text columns; impossible dates -> NaT."""
    numbers = parts.apply(pd.to_numeric, errors="coerce").fillna({"hour": 0, "minute": 0, "second": 0})
    return pd.to_datetime(numbers[["year", "month", "day", "hour", "minute", "second"]], errors="coerce")


def parse_date_texts(texts: pd.Series) -> pd.Series:
    """Distinct date texts -> timestamps (NaT where unreadable): 2024-01-05, 2024/1/5,
    20240105, 2024年1月5日, Excel serials (45296), each optionally with a time of day."""
    result = pd.Series(pd.NaT, index=texts.index, dtype=DATE_UNIT)
    todo = texts.notna()
    for pattern in _DATE_PATTERNS:
        parts = texts[todo].str.extract(pattern)
        hit = parts["year"].notna()
        if hit.any():
            parsed = _from_parts(parts[hit])
            result.loc[parsed.index] = parsed.astype(DATE_UNIT)
            todo.loc[parsed.index] = False
    serial = pd.to_numeric(texts[todo], errors="coerce")
    serial = serial[(serial >= EXCEL_SERIAL_RANGE[0]) & (serial <= EXCEL_SERIAL_RANGE[1])]
    if len(serial):
        stamps = EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
        result.loc[serial.index] = stamps.dt.round("s").astype(DATE_UNIT)
    return result


def to_datetime(series: pd.Series, date_only: bool) -> tuple[pd.Series, pd.Series]:
    """Dates (``date_only``: midnight, the time of day dropped) or timestamps."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.dt.tz_localize(None) if series.dt.tz is not None else series
        values = values.astype(DATE_UNIT)
        bad = pd.Series(False, index=series.index)
    else:
        if pd.api.types.is_numeric_dtype(series.dtype):
            series = series.astype("Int64").astype("str") if _all_whole(series) else series.astype("str")
        text = as_text(series)
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
        parsed = parse_date_texts(pd.Series(uniques, dtype="str")).to_numpy().astype(DATE_UNIT)
        parsed = np.append(parsed, np.datetime64("NaT", "us"))  # code -1 (empty cell) -> NaT
        values = pd.Series(parsed[codes], index=series.index, dtype=DATE_UNIT)
        bad = text.notna() & values.isna()
    if date_only:
        values = values.dt.normalize()
    return values, bad


def _all_whole(series: pd.Series) -> bool:
    values = series.dropna()
    return bool((values == np.floor(values)).all())


def to_month(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Months as ``YYYY-MM`` text, from 2024-01, 2024/1, 202401, 2024年1月 or a full date."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.dt.strftime("%Y-%m").astype("str"), pd.Series(False, index=series.index)
    if isinstance(series.dtype, pd.PeriodDtype):
        return series.dt.strftime("%Y-%m").astype("str"), pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series.dtype):
        series = series.astype("Int64").astype("str") if _all_whole(series) else series.astype("str")
    text = as_text(series)
    month = pd.Series(np.nan, index=series.index, dtype="str")
    todo = text.notna()
    for pattern in _MONTH_PATTERNS:
        parts = text[todo].str.extract(pattern)
        numbers = parts.apply(pd.to_numeric, errors="coerce")
        hit = numbers["year"].notna() & numbers["month"].between(1, 12)
        if hit.any():
            ok = numbers[hit].astype(int)
            month.loc[ok.index] = ok["year"].astype("str") + "-" + ok["month"].astype("str").str.zfill(2)
            todo.loc[ok.index] = False
    if todo.any():
        dates, _ = to_datetime(text[todo], date_only=True)
        dated = dates.dropna()
        month.loc[dated.index] = dated.dt.strftime("%Y-%m")
    bad = text.notna() & month.isna()
    return month.astype("str"), bad


CONVERTERS = {
    "str": to_str,
    "float": to_float,
    "int": to_int,
    "date": lambda s: to_datetime(s, date_only=True),
    "datetime": lambda s: to_datetime(s, date_only=False),
    "month": to_month,
}


def convert(series: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Convert one column to a contract kind: ``(values, bad)``."""
    return CONVERTERS[kind](series)


def map_value_aliases(values: pd.Series, table: str, column: str) -> tuple[pd.Series, dict[str, int]]:
    """Chinese values -> canonical ones (contract.VALUE_ALIASES); counts per alias mapped."""
    aliases = VALUE_ALIASES.get((table, column))
    if not aliases:
        return values, {}
    hit = values.isin(list(aliases))
    if not hit.any():
        return values, {}
    counts = values[hit].value_counts()
    mapped = values.where(~hit, values.map(aliases))
    return mapped.astype("str"), {str(k): int(v) for k, v in counts.items()}
