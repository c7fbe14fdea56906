"""The two passes of the customer build, and how a family hands a group statistic to the second.

Pass 1 runs every family over one set of customers (the whole company, or one bucket of it).
Some features compare a customer with a group: the median residential profile, the area's summed
consumption drop, the peer-group medians. Computed inside one bucket those would describe the
bucket, not the company. So, when the builder runs pass 2 itself (``ctx.group_pass``), a family
returns the feature as a placeholder column (NaN, which keeps the column's position) plus the
per-customer inputs of the statistic in columns named by ``group_input``. Pass 2 then runs once
over the frame of all customers, in the company's customer order, fills the placeholders and drops
the inputs. A whole-table build goes through the same two passes, so both give the same values.

An input is usually one number per customer. When the statistic needs the company's whole
distribution (the status code most bills carry, the median billing period: ``bills.py``), the
input column holds one small array per customer (object dtype) that pass 2 lays end to end.

Pass 2 adds floats in an order that does not depend on the order of the rows
(``group_sum_and_count``: smallest first within each group; ``curve_peers``: exact integers), so
the frame is the same to the last digit however the customers were split or ordered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUP_INPUT_PREFIX = "_group_input__"


def group_input(name: str) -> str:
    """Column name of a per-customer input that pass 2 consumes (never reaches the feature frame)."""
    return f"{GROUP_INPUT_PREFIX}{name}"


def is_group_input(column: object) -> bool:
    return isinstance(column, str) and column.startswith(GROUP_INPUT_PREFIX)


def group_sum_and_count(values: np.ndarray, groups: np.ndarray | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the sum and the count of the non-missing ``values`` of its group.

    Each group's values are added smallest first, so any order of the rows gives the same
    floats. Rows whose group is missing (NaN/None) get NaN for both.
    """
    values = np.asarray(values, dtype=float)
    codes, uniques = pd.factorize(np.asarray(groups), use_na_sentinel=True)
    known = (codes >= 0) & ~np.isnan(values)
    order = np.lexsort((values[known], codes[known]))
    rows = codes[known][order]
    sums = np.bincount(rows, weights=values[known][order], minlength=len(uniques))
    counts = np.bincount(rows, minlength=len(uniques)).astype(float)
    at = np.maximum(codes, 0)
    has_group = codes >= 0
    return (
        np.where(has_group, sums[at] if len(uniques) else np.nan, np.nan),
        np.where(has_group, counts[at] if len(uniques) else np.nan, np.nan),
    )
