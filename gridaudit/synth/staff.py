"""The ~40 staff who book orders and adjustments, and the few who cut corners or collude."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import N_STAFF


@dataclass(frozen=True)
class Staff:
    service: np.ndarray  # customer-service operators (connections, capacity, tariff, closes)
    billing: np.ndarray  # billing clerks (adjustments)
    metering: np.ndarray  # meter technicians (replacements)
    managers: np.ndarray  # approvers
    corner_cutters: np.ndarray  # operators with many overdue and self-approved orders
    corrupt_clerks: np.ndarray  # clerks who book repeated refunds for the same customers
    colluding_manager: str


def make_staff(rng: np.random.Generator, n_staff: int = N_STAFF) -> Staff:
    ids = np.array([f"E{i:03d}" for i in range(1, n_staff + 1)], dtype=object)
    cut = np.cumsum([0, round(n_staff * 0.375), round(n_staff * 0.325), round(n_staff * 0.15)])
    service, billing = ids[cut[0] : cut[1]], ids[cut[1] : cut[2]]
    metering, managers = ids[cut[2] : cut[3]], ids[cut[3] :]
    cutters = np.concatenate([rng.choice(service, 2, replace=False), rng.choice(metering, 1)])
    return Staff(
        service=service,
        billing=billing,
        metering=metering,
        managers=managers,
        corner_cutters=cutters,
        corrupt_clerks=rng.choice(billing, 2, replace=False),
        colluding_manager=str(rng.choice(managers)),
    )
