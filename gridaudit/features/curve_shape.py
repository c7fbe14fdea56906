"""Feature family: curve_shape (placeholder until its owner fills it in)."""

from __future__ import annotations

import pandas as pd

from .context import FeatureContext


def curve_shape_features(ctx: FeatureContext) -> pd.DataFrame | None:
    """Placeholder: no columns yet."""
    return None
