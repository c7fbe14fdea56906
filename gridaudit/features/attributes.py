"""Feature family: what the account is (tariff category, area, capacity, multiplier, tenure).

The two category columns (``tariff_category``, ``area_id``) are added to the frame by the
builder itself; they are described here so that every column of the frame has one description.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._windows import months_between
from .context import FeatureContext
from .registry import FeatureSpec, register

FAMILY = "attributes"

register(
    FeatureSpec(
        "tariff_category",
        FAMILY,
        "tariff category of the account",
        "用电类别",
        "category",
        "either",
        "the account is billed as {value}",
        "用电类别为{value}",
    )
)
register(
    FeatureSpec(
        "area_id",
        FAMILY,
        "transformer area the account belongs to",
        "所属台区",
        "category",
        "either",
        "the account belongs to area {value}",
        "所属台区为{value}",
    )
)
register(
    FeatureSpec(
        "contract_capacity_kva",
        FAMILY,
        "contracted capacity",
        "合同容量",
        "kva",
        "either",
        "contracted capacity is {value} kVA (peers: {peer})",
        "合同容量为{value}kVA，同台区同类用户为{peer}",
    )
)
register(
    FeatureSpec(
        "meter_multiplier",
        FAMILY,
        "combined CT/PT multiplier of the meter",
        "综合倍率",
        "score",
        "high",
        "the meter multiplier is {value} (peers: {peer})",
        "综合倍率为{value}，同台区同类用户为{peer}",
    )
)
register(
    FeatureSpec(
        "tenure_months",
        FAMILY,
        "months since the account was connected, as of the month",
        "立户至今月数",
        "months",
        "either",
        "the account was connected {value} months ago (peers: {peer})",
        "立户已{value}个月，同台区同类用户为{peer}",
    )
)


def attributes_features(ctx: FeatureContext) -> pd.DataFrame | None:
    """Numeric account attributes; NaN where the customers table does not give them."""
    customers = ctx.customers

    def numeric(column: str) -> np.ndarray:
        if column not in customers.columns:
            return np.full(len(customers), np.nan)
        return pd.to_numeric(customers[column], errors="coerce").to_numpy(dtype=float)

    if "connect_date" in customers.columns:
        tenure = months_between(customers["connect_date"].to_numpy(), ctx.as_of_end)
    else:
        tenure = np.full(len(customers), np.nan)
    return pd.DataFrame(
        {
            "contract_capacity_kva": numeric("contract_capacity_kva"),
            "meter_multiplier": numeric("meter_multiplier"),
            "tenure_months": tenure,
        },
        index=ctx.customer_index,
    )
