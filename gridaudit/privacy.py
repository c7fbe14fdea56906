"""Personal data (names, addresses, phones) never leaves gridaudit unmasked."""

from __future__ import annotations

import pandas as pd

from .contract import PERSONAL_COLUMNS


def mask_value(value) -> str | None:
    """Keep the first character, hide the rest; values of 8 characters or more (phones, addresses)
    also keep their last two: 张三 -> 张*, 某某商店 -> 某***, 13800000001 -> 1********01. A short name
    keeps no more than its first character, so a four-character name is not mostly shown."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value)
    if len(text) <= 1:
        return "*"
    if len(text) < 8:
        return text[0] + "*" * (len(text) - 1)
    return text[0] + "*" * (len(text) - 3) + text[-2:]


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every personal column masked."""
    out = frame.copy()
    for col in PERSONAL_COLUMNS:
        if col in out.columns:
            out[col] = out[col].map(mask_value).astype("object")
    return out


def drop_personal(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in PERSONAL_COLUMNS if c in frame.columns])
