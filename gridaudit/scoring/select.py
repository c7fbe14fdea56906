"""Choose whom to inspect: the team's capacity, per-area limits, a cool-down, and exploration.

Pure functions over a scored frame (one row per customer, columns ``customer_id``, ``area_id``,
``score``). The rules, in order:

1. **Cool-down.** A customer inspected in the last ``cooldown_months`` months (the as-of month
   included) is not listed again, unless its score is among the top ``cooldown_exempt_top_share``
   (default 1%) of everyone scored this month: a very high score overrides the rest. Customers
   the caller names as ``excluded`` (e.g. a finding already being handled) are never listed.
2. **Model picks.** ``capacity - exploration slots`` of the eligible customers with the highest
   scores (ties broken by customer_id). ``area_quotas`` (area -> the most model picks in that
   area) caps an area; areas without a quota are not capped.
3. **Exploration.** ``round(capacity x exploration_share)`` slots drawn uniformly at random from
   the eligible customers not picked by the model, with a numpy Generator seeded by the
   configured seed and the month, so a rerun draws the same customers. Each has inclusion
   probability ``slots / pool size``; model picks have inclusion probability 1. The exploration
   picks let training and evaluation see customers the model would not have chosen.

The list is ranked by score (ties by customer_id), model and exploration picks together; the
``selection`` column says which is which. All exploration picks must be inspected for their
inclusion probabilities to hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..months import month_end, month_start, parse_month

MODEL = "model"
EXPLORATION = "exploration"


@dataclass(frozen=True)
class SelectionRules:
    """The selection settings (from the config; the capacity flag overrides)."""

    capacity: int
    exploration_share: float = 0.05
    area_quotas: dict[str, int] = field(default_factory=dict)
    cooldown_exempt_top_share: float = 0.01

    @property
    def exploration_slots(self) -> int:
        if self.capacity <= 0 or self.exploration_share <= 0:
            return 0
        return min(self.capacity, int(round(self.capacity * self.exploration_share)))


def recently_inspected(
    inspections: pd.DataFrame | None, as_of: str | pd.Period, cooldown_months: int
) -> pd.Index:
    """Customers inspected (target_type customer) in the ``cooldown_months`` months ending with the
    as-of month. The inspection date counts, not the day its result was written up: the team knows
    it visited."""
    if inspections is None or inspections.empty or cooldown_months <= 0:
        return pd.Index([], dtype="str", name="customer_id")
    month = parse_month(as_of)
    first = month_start(month - (cooldown_months - 1))
    last = month_end(month)
    dates = pd.to_datetime(inspections["date"])
    keep = (inspections["target_type"].astype(str) == "customer") & (dates >= first) & (dates <= last)
    ids = inspections.loc[keep, "target_id"].astype(str).unique()
    return pd.Index(np.sort(ids), name="customer_id")


def exploration_rng(seed: int, month: str | pd.Period) -> np.random.Generator:
    """The random stream for a month's exploration draw: same seed and month -> same draw."""
    period = parse_month(month)
    return np.random.default_rng([int(seed), int(period.year), int(period.month)])


def select_targets(
    scored: pd.DataFrame,
    rules: SelectionRules,
    cooled: pd.Index | None = None,
    rng: np.random.Generator | None = None,
    excluded: pd.Index | None = None,
) -> pd.DataFrame:
    """The selected rows of ``scored`` with ``rank``, ``selection`` and ``inclusion_probability``.

    ``scored`` needs ``customer_id``, ``area_id`` and ``score``; ``cooled`` are customers in their
    cool-down; ``rng`` draws the exploration picks (required when there are exploration slots);
    ``excluded`` are customers not to list at all (no top-score override).
    """
    frame = scored.reset_index(drop=True)
    frame = frame.assign(customer_id=frame["customer_id"].astype(str))
    order = np.lexsort((frame["customer_id"].to_numpy(), -frame["score"].to_numpy(dtype=float)))
    frame = frame.iloc[order].reset_index(drop=True)

    eligible = pd.Series(True, index=frame.index)
    if cooled is not None and len(cooled):
        in_cooldown = frame["customer_id"].isin(cooled)
        n_top = int(np.ceil(len(frame) * rules.cooldown_exempt_top_share))
        top = pd.Series(frame.index < n_top, index=frame.index)  # frame is sorted by score
        eligible &= ~in_cooldown | top

    if excluded is not None and len(excluded):
        eligible &= ~frame["customer_id"].isin(pd.Index(excluded).astype(str))

    n_explore = rules.exploration_slots
    n_model = max(rules.capacity - n_explore, 0)

    candidates = eligible.copy()
    if rules.area_quotas:
        quota = frame["area_id"].astype(str).map(rules.area_quotas)
        position = frame.loc[eligible].groupby(frame["area_id"].astype(str), sort=False).cumcount()
        position = position.reindex(frame.index)
        candidates &= quota.isna() | (position < quota)
    model_pick = pd.Series(False, index=frame.index)
    model_pick[candidates[candidates].index[:n_model]] = True

    pool = frame.index[eligible & ~model_pick]
    explore_pick = pd.Series(False, index=frame.index)
    probability = 0.0
    n_draw = min(n_explore, len(pool))
    if n_draw:
        if rng is None:
            raise ValueError("exploration slots need a random generator (see exploration_rng)")
        pool_ids = frame.loc[pool, "customer_id"].to_numpy()
        pool_sorted = pool[np.argsort(pool_ids, kind="stable")]  # draw order independent of scores
        drawn = rng.choice(len(pool_sorted), size=n_draw, replace=False)
        explore_pick[pool_sorted[np.sort(drawn)]] = True
        probability = n_draw / len(pool)

    picked = frame.loc[model_pick | explore_pick].copy()
    picked["selection"] = np.where(model_pick[picked.index], MODEL, EXPLORATION)
    picked["inclusion_probability"] = np.where(model_pick[picked.index], 1.0, probability)
    picked["rank"] = np.arange(1, len(picked) + 1, dtype="int64")
    return picked.reset_index(drop=True)
