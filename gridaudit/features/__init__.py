"""Feature pipelines: raw warehouse tables -> one row per target as of a month, never looking ahead."""

from .build import CATEGORY_FEATURES, CustomerFeatureBuilder, build_customer_features
from .context import CurveMatrix, FeatureContext, cut_tables, known_date
from .registry import FeatureSpec, all_specs, register, spec
from .work_orders import ORDER_ID_COLUMNS, WorkOrderFeatureBuilder, order_peer_values

__all__ = [
    "CATEGORY_FEATURES",
    "CustomerFeatureBuilder",
    "ORDER_ID_COLUMNS",
    "WorkOrderFeatureBuilder",
    "order_peer_values",
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
