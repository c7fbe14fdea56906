"""Peer-relative features: each level/shape feature against the same tariff category's peers
(placeholder until its owner fills it in)."""

from __future__ import annotations

import pandas as pd

from .context import FeatureContext


def peer_features(frame: pd.DataFrame, ctx: FeatureContext) -> pd.DataFrame | None:
    """Second pass over the assembled frame; returns new columns only."""
    return None
