"""Settings a team may want to change, read from ``gridaudit.toml``; command-line flags override.

Every constant that an audit team could reasonably tune lives here, with its default.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

CONFIG_FILE = "gridaudit.toml"


class ConfigError(InputError, ValueError):
    """The configuration file says something gridaudit cannot use."""


@dataclass
class Config:
    seed: int = 7
    language: str = "zh"  # reasons and report language: zh or en
    label_delay_months: int = 1  # results are written up this long after the inspection
    tracking_uri: str | None = None  # default: sqlite store in the working folder
    n_buckets: int = 16  # customer buckets in the warehouse
    engine: str = "local"  # feature build: local (bucket by bucket), processes or dask
    scheduler: str | None = None  # Dask scheduler address; None = a local cluster
    workers: int | None = None  # processes / local Dask workers; None = one per core
    # scoring
    capacity: int = 100
    order_capacity: int = 20  # work orders the internal-audit team checks per month
    exploration_share: float = 0.05
    cooldown_months: int = 3
    cooldown_risk_jump: float = 2.0  # re-list inside cool-down when risk rose this many times
    area_quotas: dict[str, int] = field(default_factory=dict)
    tier_thresholds: tuple[float, float] = (0.3, 0.1)  # high >= first, medium >= second
    tariff_yuan_per_kwh: float = 0.6  # for expected recovery where amounts are unknown
    recovery_months: int = 12  # months of lost energy typically recovered
    assumed_lost_share: float = 0.3  # share of consumption assumed unbilled at a finding (expected recovery)
    cooldown_exempt_top_share: float = 0.01  # top-scoring share re-listed even inside the cool-down
    # training
    num_boost_round: int = 400
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 20
    validation_months: int = 3  # the latest months held out in time
    sample_weighting: str = "none"  # or "inverse_probability" (1/p for random picks; see selection_bias)
    # work orders: days each kind may take
    order_time_limits_days: dict[str, int] = field(
        default_factory=lambda: {
            "new_connection": 15,
            "capacity_change": 15,
            "tariff_change": 10,
            "meter_replacement": 7,
            "billing_adjustment": 5,
            "account_close": 10,
            "temporary_use": 10,
            "other": 15,
        }
    )
    order_adjustment_min_yuan: float = 500.0  # billing adjustments this large need a billing-adjustment order

    def replace(self, **changes) -> Config:
        """A copy with the given settings changed; ``None`` means 'keep'."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_config(path: str | Path | None = None) -> Config:
    """Read ``gridaudit.toml`` (given, or in the working folder); missing file = defaults."""
    candidate = Path(path) if path else Path.cwd() / CONFIG_FILE
    if not candidate.exists():
        if path:
            raise ConfigError(f"configuration file {candidate} does not exist")
        return Config()
    try:
        raw = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {candidate} is not valid TOML: {exc}") from exc
    data = raw.get("gridaudit", raw)
    known = {f.name for f in dataclasses.fields(Config)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"configuration file {candidate} has settings gridaudit does not know: "
            f"{', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    if "tier_thresholds" in data:
        data["tier_thresholds"] = tuple(data["tier_thresholds"])
    return Config(**data)
