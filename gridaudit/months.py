"""Months as the audit team speaks of them (``YYYY-MM``) and the day boundaries they imply."""

from __future__ import annotations

import re

import pandas as pd

from .errors import InputError

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class MonthError(InputError, ValueError):
    """A month was not written as YYYY-MM."""


def parse_month(text: str | pd.Period) -> pd.Period:
    """``'2025-12'`` -> monthly Period; anything else is a clear error."""
    if isinstance(text, pd.Period):
        return text.asfreq("M")
    if not isinstance(text, str) or not _MONTH.match(text.strip()):
        raise MonthError(
            f"month {text!r} is not a month written as YYYY-MM with the month 01 to 12 (for example 2025-12)"
        )
    return pd.Period(text.strip(), freq="M")


def month_end(month: str | pd.Period) -> pd.Timestamp:
    """Last calendar day of the month (midnight): rows dated on or before it are 'known'."""
    return parse_month(month).to_timestamp(how="start") + pd.offsets.MonthEnd(0)


def month_start(month: str | pd.Period) -> pd.Timestamp:
    return parse_month(month).to_timestamp(how="start")


def previous_month(month: str | pd.Period) -> pd.Period:
    return parse_month(month) - 1


def month_of(dates: pd.Series) -> pd.Series:
    """Calendar month (Period) of each date."""
    return pd.to_datetime(dates).dt.to_period("M")


def fmt(month: pd.Period) -> str:
    return str(month.asfreq("M"))
