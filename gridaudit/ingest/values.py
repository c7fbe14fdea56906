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
# 05/01/2024 or 5.1.2024: day/month or month/day, decided per column (see day_month_order).
_NUMERIC_DMY = rf"^(?P<lead>\d{{1,2}})[/.-](?P<mid>\d{{1,2}})[/.-](?P<year>\d{{4}}){_TIME}$"
DAY_FIRST, MONTH_FIRST = "day/month/year", "month/day/year"
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
    """Timestamps from year/month/day/hour/minute/second text columns; impossible dates and
    times (2024-02-30, 25:99) -> NaT, never rolled over into the next day."""
    numbers = parts.apply(pd.to_numeric, errors="coerce").fillna({"hour": 0, "minute": 0, "second": 0})
    stamps = pd.to_datetime(numbers[["year", "month", "day", "hour", "minute", "second"]], errors="coerce")
    clock_ok = (numbers["hour"] < 24) & (numbers["minute"] < 60) & (numbers["second"] < 60)
    return stamps.where(clock_ok)


class AmbiguousDates(ValueError):
    """Dates such as 05/01/2024 that one column does not tell apart (day/month or month/day)."""

    def __init__(self, example: str, mixed: bool = False):
        super().__init__(example)
        self.example = example
        self.mixed = mixed


def day_month_order(texts: pd.Series) -> str | None:
    """How a column writes dates like 13/01/2024 or 01/13/2024: ``DAY_FIRST``, ``MONTH_FIRST``
    or None when it has none. A first number above 12 means day first, a second above 12 month
    first; a column where every such date could be read both ways (05/01/2024 alone), or that
    needs both readings, raises ``AmbiguousDates`` with an example rather than guess."""
    distinct = pd.Series(pd.unique(texts.dropna()), dtype="str")
    parts = distinct.str.extract(_NUMERIC_DMY)
    hit = parts["year"].notna()
    if not hit.any():
        return None
    first = parts.loc[hit, "lead"].astype(int)
    second = parts.loc[hit, "mid"].astype(int)
    day_first, month_first = (first > 12).any(), (second > 12).any()
    if day_first and month_first:
        example = distinct[hit][first > 12].iloc[0] + "' and '" + distinct[hit][second > 12].iloc[0]
        raise AmbiguousDates(example, mixed=True)
    if day_first:
        return DAY_FIRST
    if month_first:
        return MONTH_FIRST
    either = first != second
    if either.any():
        raise AmbiguousDates(distinct[hit][either].iloc[0])
    return DAY_FIRST  # 01/01/2024: both readings agree


def parse_date_texts(texts: pd.Series) -> pd.Series:
    """Distinct date texts -> timestamps (NaT where unreadable): 2024-01-05, 2024/1/5,
    20240105, 2024年1月5日, 05/01/2024 (order decided per column), Excel serials (45296), each
    optionally with a time of day."""
    result = pd.Series(pd.NaT, index=texts.index, dtype=DATE_UNIT)
    todo = texts.notna()
    for pattern in _DATE_PATTERNS:
        parts = texts[todo].str.extract(pattern)
        hit = parts["year"].notna()
        if hit.any():
            parsed = _from_parts(parts[hit])
            result.loc[parsed.index] = parsed.astype(DATE_UNIT)
            todo.loc[parsed.index] = False
    order = day_month_order(texts[todo])
    if order is not None:
        parts = texts[todo].str.extract(_NUMERIC_DMY)
        parts = parts.loc[parts["year"].notna()]
        day, month = ("lead", "mid") if order == DAY_FIRST else ("mid", "lead")
        parsed = _from_parts(parts.rename(columns={day: "day", month: "month"}))
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
