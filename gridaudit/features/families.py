"""The list of customer feature families, in the order their columns appear.

Each family is a pure function ``(ctx: FeatureContext) -> DataFrame`` indexed by customer_id,
and registers its features in the registry when its module is imported.
"""

from __future__ import annotations

FAMILIES: list = []
