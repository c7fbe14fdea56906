"""The customer feature families, in the order their columns appear.

Each family is a pure function ``(ctx: FeatureContext) -> DataFrame | None`` indexed by
customer_id, and registers its features in the registry when its module is imported.
Peer-relative features run afterwards, over the assembled frame (see ``build.py``).
"""

from __future__ import annotations

from .adjustments import adjustments_features
from .attributes import attributes_features
from .bills import bills_features
from .capacity_tariff import capacity_tariff_features
from .curve_history import curve_history_features
from .curve_peers import curve_peers_features
from .curve_shape import curve_shape_features
from .inspection_history import inspection_history_features
from .line_loss import line_loss_features

FAMILIES = [
    attributes_features,
    curve_shape_features,
    curve_history_features,
    curve_peers_features,
    bills_features,
    capacity_tariff_features,
    adjustments_features,
    inspection_history_features,
    line_loss_features,
]
