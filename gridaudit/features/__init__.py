"""Feature pipelines: raw warehouse tables -> one row per target as of a month, never looking ahead."""

from .build import CATEGORY_FEATURES, CustomerFeatureBuilder, build_customer_features
from .context import CurveMatrix, FeatureContext, cut_tables, known_date
from .registry import FeatureSpec, all_specs, register, spec

__all__ = [
    "CATEGORY_FEATURES",
    "CustomerFeatureBuilder",
    "CurveMatrix",
    "FeatureContext",
    "FeatureSpec",
    "all_specs",
    "build_customer_features",
    "cut_tables",
    "known_date",
    "register",
    "spec",
]
