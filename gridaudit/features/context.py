"""What a feature family sees: every table cut at the as-of month, and the daily curve as a matrix.

Point-in-time correctness is enforced here, once, for every family: a row enters the context
only if it was dated (for inspections: *recorded*) on or before the last day of the as-of month.
Families therefore cannot look past the month even by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Config
from ..contract import PERSONAL_COLUMNS
from ..months import month_end, parse_month


def _run_starts(ids: pd.Series) -> np.ndarray | None:
    """First row of every run of equal ids, comparing neighbours in Arrow; None if not Arrow-backed."""
    to_arrow = getattr(ids.array, "__arrow_array__", None)
    if to_arrow is None or len(ids) == 0:
        return None
    values = pa.chunked_array(to_arrow()).combine_chunks()
    changed = pc.fill_null(pc.not_equal(values.slice(1), values.slice(0, len(values) - 1)), True)
    return np.flatnonzero(np.r_[True, changed.to_numpy(zero_copy_only=False)])


def _positions(index: pd.Index, ids: pd.Series) -> np.ndarray:
    """Row of each id in ``index`` (-1 where absent), looking up each distinct id once.

    Long tables repeat every customer hundreds of times; hashing millions of strings was the
    slowest step of the pivot. Readings come sorted by customer, so a run of equal neighbours
    is one customer: finding the runs (Arrow compares neighbours) and looking up one id per run
    costs half a hash. Categorical ids need no search at all. Any row order stays correct.
    """
    if isinstance(ids.dtype, pd.CategoricalDtype):
        lookup = index.get_indexer(pd.Index(ids.cat.categories).astype(str))
        codes = ids.cat.codes.to_numpy()
        return np.where(codes >= 0, lookup[np.maximum(codes, 0)] if len(lookup) else -1, -1)
    starts = _run_starts(ids)
    if starts is not None and len(starts) <= len(ids) // 4:
        first_ids = ids.iloc[starts]
        lookup = np.where(first_ids.isna().to_numpy(), -1, index.get_indexer(pd.Index(first_ids).astype(str)))
        return np.repeat(lookup, np.diff(np.r_[starts, len(ids)]))
    codes, distinct = pd.factorize(ids)
    lookup = index.get_indexer(pd.Index(distinct).astype(str))
    return np.where(codes >= 0, lookup[np.maximum(codes, 0)] if len(lookup) else -1, -1)


NAT = np.iinfo(np.int64).min  # how NaT reads as an int64


def _day_numbers(dates: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of each date (time of day dropped); NaT gives ``NAT``.

    Integer division of the datetime64 ticks: three times faster than a cast to days.
    """
    if not pd.api.types.is_datetime64_dtype(dates.dtype):
        dates = pd.to_datetime(dates)
        if getattr(dates.dtype, "tz", None) is not None:  # the local calendar day, as normalize() gave
            dates = dates.dt.tz_localize(None)
    values = dates.to_numpy()
    unit, count = np.datetime_data(values.dtype)
    ticks = values.view(np.int64)
    days = ticks // int(np.timedelta64(1, "D") / np.timedelta64(count, unit))
    return np.where(ticks == NAT, NAT, days)


@dataclass(frozen=True)
class CurveMatrix:
    """Daily kWh as customers x days (NaN = not collected), rows in ``customer_ids`` order."""

    values: np.ndarray  # float64, shape (n_customers, n_days)
    dates: pd.DatetimeIndex  # consecutive days
    customer_ids: pd.Index

    @classmethod
    def from_readings(
        cls,
        readings: pd.DataFrame | None,
        customer_ids: pd.Index,
        span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    ) -> CurveMatrix:
        """Pivot long readings into a dense matrix covering every day from first to last reading.

        ``span`` (first day, last day) fixes the days instead: a bucket of customers then gets the
        same day axis as the whole company, so window and half-window features cannot differ.
        """
        if span is not None:
            start, end = (pd.Timestamp(day).normalize() for day in span)
        elif readings is None or readings.empty:
            return cls(np.empty((len(customer_ids), 0)), pd.DatetimeIndex([]), customer_ids)
        all_days = None if span is None else pd.date_range(start, end, freq="D")
        if readings is None or readings.empty:
            return cls(np.full((len(customer_ids), len(all_days)), np.nan), all_days, customer_ids)
        days = _day_numbers(readings["date"])
        dated = days != NAT
        every_row_dated = bool(dated.all())
        if span is None:
            if not dated.any():
                return cls(np.empty((len(customer_ids), 0)), pd.DatetimeIndex([]), customer_ids)
            known = days if every_row_dated else days[dated]
            start, end = (pd.Timestamp(np.datetime64(int(d), "D")) for d in (known.min(), known.max()))
            all_days = pd.date_range(start, end, freq="D")
        rows = _positions(customer_ids, readings["customer_id"])
        cols = days - np.datetime64(start.date(), "D").astype(np.int64)
        if not every_row_dated:
            cols[~dated] = -1
        keep = (rows >= 0) & (cols >= 0) & (cols < len(all_days))
        kwh = readings["kwh"]
        if kwh.dtype != np.float64:
            kwh = pd.to_numeric(kwh, errors="coerce").astype(float)
        kwh = kwh.to_numpy()
        shape = (len(customer_ids), len(all_days))
        if not keep.all():  # rows of other customers or outside the days: most builds have none
            rows, cols, kwh = rows[keep], cols[keep], kwh[keep]
        cell = rows.astype(np.int64) * shape[1] + cols
        if len(cell) < 2 or bool((cell[1:] > cell[:-1]).all()):
            # one row per (customer, day) in order, as the warehouse gives them: place the values
            values = np.full(shape[0] * shape[1], np.nan)
            values[cell] = kwh
        else:
            # duplicate (customer, day) rows are rejected at ingest; summing keeps interval data
            # right (bincount adds in row order like np.add.at, at a fraction of its cost)
            values = np.bincount(cell, weights=np.nan_to_num(kwh, nan=0.0), minlength=shape[0] * shape[1])
            seen = np.bincount(cell[~np.isnan(kwh)], minlength=shape[0] * shape[1]) > 0
            values[~seen] = np.nan  # unseen days are missing, not zero
        return cls(values.reshape(shape), all_days, customer_ids)

    def until(self, end: pd.Timestamp) -> CurveMatrix:
        """The days on or before ``end`` only."""
        n = int(self.dates.searchsorted(end, side="right"))
        return CurveMatrix(self.values[:, :n], self.dates[:n], self.customer_ids)

    def last_days(self, n_days: int, end: pd.Timestamp) -> np.ndarray:
        """Window of the last ``n_days`` ending on ``end`` (padded with NaN where no data), read-only.

        A window inside the curve is a view of it, not a copy: families read many windows.
        """
        first = end - pd.Timedelta(days=n_days - 1)
        lo = int(self.dates.searchsorted(first, side="left")) if len(self.dates) else 0
        hi = int(self.dates.searchsorted(end, side="right")) if len(self.dates) else 0
        if hi - lo == n_days:
            out = self.values[:, lo:hi]
        else:
            out = np.full((len(self.customer_ids), n_days), np.nan)
            if hi > lo:
                offset = (self.dates[lo] - first).days
                out[:, offset : offset + (hi - lo)] = self.values[:, lo:hi]
        out = out.view()
        out.flags.writeable = False
        return out


@dataclass(frozen=True)
class FeatureContext:
    as_of: pd.Period
    as_of_end: pd.Timestamp
    customers: pd.DataFrame  # one row per customer scored as of the month, no personal columns
    tables: dict[str, pd.DataFrame]  # every table cut at as_of_end
    curve: CurveMatrix | None  # rows aligned with customers.customer_id
    config: Config
    # Every customer of the company (id, area, category), cut like ``customers``, when this
    # context holds one bucket of them; None when ``customers`` is already everyone.
    population: pd.DataFrame | None = None
    # True when the builder runs the group pass itself (build.py): families then leave
    # company- and area-wide statistics to it and return their per-customer inputs instead.
    group_pass: bool = False

    @property
    def customer_index(self) -> pd.Index:
        return pd.Index(self.customers["customer_id"].astype(str), name="customer_id")

    @property
    def everyone(self) -> pd.DataFrame:
        """All customers of the company as of the month (``customers`` in a whole-table build)."""
        return self.customers if self.population is None else self.population

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)


def known_date(inspections: pd.DataFrame, label_delay_months: int) -> pd.Series:
    """When each inspection result became known: recorded_date, else date + the label delay."""
    date = pd.to_datetime(inspections["date"])
    fallback = date + pd.DateOffset(months=label_delay_months)
    if "recorded_date" in inspections.columns:
        recorded = pd.to_datetime(inspections["recorded_date"])
        return recorded.fillna(fallback)
    return fallback


def cut_tables(
    tables: dict[str, pd.DataFrame], as_of: str | pd.Period, config: Config
) -> dict[str, pd.DataFrame]:
    """Every table reduced to the rows known on the last day of the as-of month."""
    end = month_end(as_of)
    # timestamps during the last day still belong to the month: compare with the next midnight
    stop = end + pd.Timedelta(days=1)
    month = parse_month(as_of)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        if frame is None:
            continue
        if name == "customers":
            keep = pd.Series(True, index=frame.index)
            if "connect_date" in frame.columns:
                keep &= ~(pd.to_datetime(frame["connect_date"]) >= stop)
            frame = frame.loc[keep].drop(columns=[c for c in PERSONAL_COLUMNS if c in frame.columns])
        elif name == "inspections":
            frame = frame.assign(known_date=known_date(frame, config.label_delay_months))
            frame = frame.loc[(frame["known_date"] < stop) & (pd.to_datetime(frame["date"]) < stop)]
        elif name == "area_line_loss":
            # YYYY-MM compared as year * 12 + month: parsing thousands of Periods is slow
            text = frame["month"].astype(str)
            index = text.str[:4].astype(int) * 12 + text.str[5:7].astype(int)
            frame = frame.loc[index <= month.year * 12 + month.month]
        elif name == "readings":
            frame = frame.loc[pd.to_datetime(frame["date"]) < stop]
        elif name == "bills":
            frame = frame.loc[pd.to_datetime(frame["read_date"]) < stop]
        elif name == "billing_adjustments":
            frame = frame.loc[pd.to_datetime(frame["date"]) < stop]
        elif name == "work_orders":
            frame = frame.loc[pd.to_datetime(frame["created_at"]) < stop]
            # completion after the month is not yet known
            late = pd.to_datetime(frame["completed_at"]) >= stop
            if late.any():
                frame = frame.copy()
                frame.loc[late, "completed_at"] = pd.NaT
        out[name] = frame.reset_index(drop=True)
    return out
