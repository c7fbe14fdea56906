"""Feature family: curve_history (placeholder until its owner fills it in)."""

from __future__ import annotations

import pandas as pd

from .context import FeatureContext


def curve_history_features(ctx: FeatureContext) -> pd.DataFrame | None:
    """Placeholder: no columns yet."""
    return None
