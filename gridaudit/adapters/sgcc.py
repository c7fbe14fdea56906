"""SGCC (State Grid) daily consumption with theft labels, wide layout -> gridaudit raw tables.

The release is one row per customer: one column per day (headers m/d/yyyy, zero-padded or not,
in any order), then ``CONS_NO`` and ``FLAG`` (1 = theft). It has no area or tariff information:
every customer is ``residential`` in the single area ``"SGCC"``. Labels carry no date, so each
labelled customer gets one inspection on the first day of the month after the curve ends.

Copies: a CONS_NO repeated keeps its first row (ingest needs unique customer ids). Rows whose
values are identical to another row's (under another CONS_NO) share a ``duplicate_group`` so
cross-validation keeps copies on one side of every split. Rows with no consumption at all
(every day zero or missing) are not treated as copies of each other: they carry no customer-
specific pattern to memorise, and grouping the thousands of them would put them all in one fold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

log = logging.getLogger(__name__)

ID_COLUMN = "CONS_NO"
LABEL_COLUMN = "FLAG"
AREA_ID = "SGCC"


class SgccFormatError(InputError, ValueError):
    """The file is not the SGCC wide layout."""


@dataclass(frozen=True)
class SgccDuplicates:
    """What the adapter found about copies (counts of rows)."""

    repeated_ids: int  # rows dropped because their CONS_NO appeared before
    copied_rows: int  # rows (after that) whose values repeat an earlier row's, under another CONS_NO
    copied_with_other_label: int  # of those, rows whose label differs from the earlier copy's
    empty_rows: int  # rows with no consumption at all (zero or missing every day)


def _read(path_or_frame: str | Path | pd.DataFrame) -> pd.DataFrame:
    if isinstance(path_or_frame, pd.DataFrame):
        return path_or_frame
    path = Path(path_or_frame)
    if not path.exists():
        raise SgccFormatError(f"the SGCC file {path} does not exist")
    return pd.read_csv(path, dtype={ID_COLUMN: str})


def day_columns(frame: pd.DataFrame) -> pd.Series:
    """Map each day header (m/d/yyyy, padded or not) to its date, sorted by date."""
    headers = [c for c in frame.columns if c not in (ID_COLUMN, LABEL_COLUMN)]
    dates = pd.to_datetime(pd.Series(headers, index=headers, dtype=str).str.strip(), format="%m/%d/%Y", errors="coerce")
    bad = dates[dates.isna()]
    if len(bad):
        raise SgccFormatError(
            f"the SGCC file has {len(bad)} column headers that are neither a day (m/d/yyyy) nor "
            f"{ID_COLUMN}/{LABEL_COLUMN}, e.g. {bad.index[0]!r}"
        )
    if dates.duplicated().any():
        raise SgccFormatError(f"the SGCC file has the day {dates[dates.duplicated()].iloc[0]:%Y-%m-%d} twice")
    return dates.sort_values()


def find_duplicates(frame: pd.DataFrame, days: pd.Series) -> tuple[pd.DataFrame, pd.Series, SgccDuplicates]:
    """Drop repeated CONS_NO; give every remaining row a duplicate_group (copies share one)."""
    repeated = frame[ID_COLUMN].duplicated(keep="first")
    kept = frame.loc[~repeated].reset_index(drop=True)
    values = kept[list(days.index)].apply(pd.to_numeric, errors="coerce")
    empty = values.fillna(0).eq(0).all(axis=1)
    row_hash = pd.util.hash_pandas_object(values, index=False)
    first_row = pd.Series(np.arange(len(kept))).groupby(row_hash.to_numpy()).transform("min")
    group = first_row.where(~empty.to_numpy(), pd.Series(np.arange(len(kept))))
    label = pd.to_numeric(kept[LABEL_COLUMN], errors="coerce").to_numpy()
    copied = (group.to_numpy() != np.arange(len(kept)))
    other_label = copied & (label != label[group.to_numpy()])
    report = SgccDuplicates(
        repeated_ids=int(repeated.sum()),
        copied_rows=int(copied.sum()),
        copied_with_other_label=int(other_label.sum()),
        empty_rows=int(empty.sum()),
    )
    names = "g" + pd.Series(group.to_numpy()).astype(str)
    return kept, pd.Series(names.to_numpy(), index=kept.index), report


def convert_sgcc_with_report(path_or_frame: str | Path | pd.DataFrame) -> tuple[dict[str, pd.DataFrame], SgccDuplicates]:
    frame = _read(path_or_frame)
    for col in (ID_COLUMN, LABEL_COLUMN):
        if col not in frame.columns:
            raise SgccFormatError(f"the SGCC file has no {col} column (columns end with {list(frame.columns[-3:])})")
    days = day_columns(frame)
    kept, group, report = find_duplicates(frame, days)
    if report.repeated_ids or report.copied_rows:
        log.warning(
            "SGCC: %d repeated CONS_NO dropped, %d rows copy another row's values (%d with another label)",
            report.repeated_ids,
            report.copied_rows,
            report.copied_with_other_label,
        )
    ids = kept[ID_COLUMN].astype(str)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "tariff_category": "residential",
            "area_id": AREA_ID,
            "duplicate_group": group.to_numpy(),
        }
    )
    values = kept[list(days.index)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    n_customers, n_days = values.shape
    readings = pd.DataFrame(
        {
            "customer_id": np.repeat(ids.to_numpy(), n_days),
            "date": np.tile(days.to_numpy(), n_customers),
            "kwh": values.reshape(-1),
        }
    )
    label = pd.to_numeric(kept[LABEL_COLUMN], errors="coerce")
    labelled = label.notna().to_numpy()
    inspections = pd.DataFrame(
        {
            "inspection_id": "sgcc-" + ids[labelled],
            "target_type": "customer",
            "target_id": ids[labelled],
            # first day of the month after the curve: features are built as of the month before an
            # inspection, so the curve's own last month is what the model sees
            "date": (days.iloc[-1].to_period("M") + 1).to_timestamp(how="start"),
            "result": (label[labelled] == 1).map({True: "theft", False: "clean"}).astype(str),
            "selection": "unknown",
        }
    ).reset_index(drop=True)
    return {"customers": customers, "readings": readings, "inspections": inspections}, report


def convert_sgcc(path_or_frame: str | Path | pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The SGCC wide file (or frame) as customers (with duplicate_group), readings, inspections."""
    return convert_sgcc_with_report(path_or_frame)[0]
