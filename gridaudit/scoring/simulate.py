"""A simulated feedback loop on synthetic data: score, inspect against the generator's truth,
feed the results back, retrain; precision@k month by month.

The synthetic area is generated over the whole span (history plus the simulated months) so that
the truth exists for the simulated months. At each step the warehouse is what the team would
have on the last day of the as-of month: every table cut with the contract's date columns
(``cut_tables``), and the inspections table made of the generator's inspections known before
the loop began plus the loop's own results. The generator's inspections during the simulated
months are hidden (the loop is the team's inspection work in those months).

One step, for list month M (as of M-1):

1. train on the inspections known so far (``train_model``: logged, registered as champion);
2. load the champion and score month M with capacity K (``score_month``: model picks and
   exploration picks);
3. inspect every listed target against the truth: a target with a problem in effect during M
   (``truth_active``) is a finding, written up as the result its problem kind gives;
4. write the results in the list's own layout (its list.csv plus ``result`` and ``date``) and
   load them with ``load_feedback``, recorded on M's last day, so the next step trains on them.

Inspection is assumed perfect (every problem in effect is found), and a finding is fixed: its
problem ends on the inspection day, so it no longer counts as active in later months. The
synthetic readings cannot show that repair (the generator drew them in advance, still tampered),
so the model would list the same thieves month after month and "find" them again; the loop
therefore hands its findings to ``score_month`` as ``excluded`` (a case being handled is not
listed again), and each month's precision counts new findings only. Problems the generator ended
by a hidden inspection of its own still end in the truth; they are few.

Features as of a month depend only on rows known by that month's end, so the builder keeps
every month's frame and reuses it in later steps; it drops a month only when rows known at or
before it are added (which the loop never does).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Config
from ..contract import is_finding
from ..features import CustomerFeatureBuilder
from ..features.context import cut_tables, known_date
from ..io import read_table, write_csv, write_table
from ..months import fmt, month_end, month_start, parse_month
from ..synth import generate_tables, truth_active
from ..synth.params import THEFT_KINDS
from .feedback import load_feedback
from .job import score_month

log = logging.getLogger(__name__)

# How an inspector writes up each planted problem (the generator's own write-up, without its
# random split between two results).
RESULT_OF_PROBLEM = {kind: "theft" for kind in THEFT_KINDS} | {
    "wrong_multiplier": "metering_error",
    "long_zero": "metering_error",
    "tariff_misclassified": "tariff_error",
    "adjustment_abuse": "billing_error",
}
INSPECTION_DAY = 15  # the loop's inspections are dated mid-month


@dataclass
class LoopMonth:
    """One simulated month: who was listed and what inspecting them found."""

    month: str
    model_version: str
    training_examples: int  # inspections the model was trained (and validated) on
    training_findings: int  # findings among the customer inspections known at training
    customers: int
    active_problems: int
    base_rate: float  # share of scored customers with a problem in effect this month
    listed: int
    model_picks: int
    model_findings: int
    precision_model: float  # findings / model picks: precision@k of the model's part of the list
    exploration_picks: int
    exploration_findings: int
    precision_exploration: float
    lift: float  # precision_model / base_rate
    found_share: float  # findings (model + exploration) / problems in effect this month
    seconds: float


class ReusingFeatureBuilder(CustomerFeatureBuilder):
    """A feature builder whose tables move forward with the loop and which keeps each month's
    frame (features as of a month never change once that month is over)."""

    def __init__(self, tables: dict[str, pd.DataFrame], config: Config):
        super().__init__(tables, config)
        self._frames: dict[pd.Period, pd.DataFrame] = {}

    def move_to(self, tables: dict[str, pd.DataFrame]) -> None:
        """Use ``tables`` from now on; forget months whose view they change (inspections known by
        then that were not there before)."""
        old = self.tables.get("inspections")
        new = tables.get("inspections")
        self.tables = tables
        if new is None or not len(new) or not self._frames:
            return
        seen = set() if old is None else set(old["inspection_id"].astype(str))
        added = new.loc[~new["inspection_id"].astype(str).isin(seen)]
        if not len(added):
            return
        first_known = known_date(added, self.config.label_delay_months).min().to_period("M")
        self._frames = {m: f for m, f in self._frames.items() if m < first_known}

    def build(self, as_of: str | pd.Period) -> pd.DataFrame:
        month = parse_month(as_of)
        if month not in self._frames:
            self._frames[month] = super().build(month)
        return self._frames[month]


def warehouse_as_of(
    tables: dict[str, pd.DataFrame], as_of: pd.Period, inspections: pd.DataFrame, config: Config
) -> dict[str, pd.DataFrame]:
    """The tables as known on the as-of month's last day, with the loop's inspections table."""
    others = {name: frame for name, frame in tables.items() if name != "inspections"}
    cut = cut_tables(others, as_of, config)
    return {**cut, "inspections": inspections}


def inspect(listing: pd.DataFrame, truth_customers: pd.DataFrame, month: pd.Period) -> pd.Series:
    """The result an inspector writes for each listed target in ``month`` (index = customer_id)."""
    ids = listing["customer_id"].astype(str)
    active = truth_active(truth_customers, month).reindex(ids).fillna(False).to_numpy(dtype=bool)
    problem = truth_customers.set_index(truth_customers["customer_id"].astype(str))["problem"]
    kinds = problem.reindex(ids).astype(str).to_numpy()
    written = np.array([RESULT_OF_PROBLEM.get(kind, "process_error") for kind in kinds], dtype=object)
    return pd.Series(np.where(active, written, "clean"), index=pd.Index(ids, name="customer_id"), dtype="str")


def resolve(truth_customers: pd.DataFrame, fixed_on: pd.Series) -> pd.DataFrame:
    """The truth with each found problem ending on the day it was found (``fixed_on``: date per
    customer_id), or earlier where it ended earlier anyway."""
    if fixed_on.empty:
        return truth_customers
    day = pd.to_datetime(truth_customers["customer_id"].astype(str).map(fixed_on))
    end = pd.to_datetime(truth_customers["problem_end"])
    ends = end.where(day.isna() | (end.notna() & (end <= day)), day)
    return truth_customers.assign(problem_end=ends.astype(truth_customers["problem_end"].dtype))


def write_results(list_csv: Path, results: pd.Series, month: pd.Period, target: Path) -> Path:
    """The returned list: the list's own CSV with ``result`` and ``date`` filled in."""
    returned = pd.read_csv(list_csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    returned["result"] = results.reindex(returned["customer_id"]).to_numpy()
    returned["date"] = inspection_day(month).strftime("%Y-%m-%d")
    return write_csv(target, returned, bom=True)


def inspection_day(month: pd.Period) -> pd.Timestamp:
    return month_start(month) + pd.Timedelta(days=INSPECTION_DAY - 1)


def _share(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def run_loop(
    work_dir: str | Path,
    customers: int = 3000,
    history_months: int = 24,
    loop_months: int = 6,
    first_month: str = "2025-07",
    capacity: int = 100,
    seed: int = 7,
    config: Config | None = None,
) -> list[LoopMonth]:
    """Run the loop for ``loop_months`` list months from ``first_month``; files go to ``work_dir``
    (warehouse/, lists/<month>/, results/, mlflow.db)."""
    work_dir = Path(work_dir)
    start = parse_month(first_month)
    last = start + (loop_months - 1)
    config = (config or Config()).replace(seed=seed, capacity=capacity)
    tables, truth = generate_tables(
        customers=customers, months=history_months + loop_months, end_month=fmt(last), seed=seed
    )
    truth_customers = truth["customers"]
    before = month_end(start - 1) + pd.Timedelta(days=1)
    history = tables["inspections"]
    known = known_date(history, config.label_delay_months)
    inspections = history.loc[(known < before) & (pd.to_datetime(history["date"]) < before)].reset_index(
        drop=True
    )
    log.info(
        "loop: %d customers, %d inspections known before %s (of %d generated)",
        customers,
        len(inspections),
        fmt(start),
        len(history),
    )

    warehouse = work_dir / "warehouse"
    write_table(warehouse, "customers", tables["customers"][["customer_id"]], n_buckets=config.n_buckets)
    write_table(warehouse, "inspections", inspections, n_buckets=config.n_buckets)
    tracking_uri = f"sqlite:///{(work_dir / 'mlflow.db').resolve().as_posix()}"
    builder = ReusingFeatureBuilder(tables, config)

    from ..tracking import load_champion
    from ..training.train import train_model

    months: list[LoopMonth] = []
    fixed_on = pd.Series(dtype="datetime64[us]")  # customer_id -> day the loop found its problem
    for month in pd.period_range(start, last, freq="M"):
        truth_now = resolve(truth_customers, fixed_on)
        began = time.perf_counter()
        as_of = month - 1
        visible = warehouse_as_of(tables, as_of, inspections, config)
        builder.move_to(visible)
        trained = train_model(visible, config, tracking_uri=tracking_uri, builder=builder)
        customer_results = visible["inspections"].loc[
            visible["inspections"]["target_type"] == "customer", "result"
        ]
        known_findings = int(is_finding(customer_results.astype(str)).sum())
        model, info = load_champion(tracking_uri=tracking_uri)
        scored = score_month(
            visible,
            month,
            model,
            info,
            config,
            out_dir=work_dir / "lists",
            features=builder.build(as_of),
            excluded=fixed_on.index,
        )
        results = inspect(scored.listing, truth_now, month)
        returned = write_results(
            scored.folder / "list.csv", results, month, work_dir / "results" / f"{fmt(month)}.csv"
        )
        load_feedback(returned, warehouse, recorded=month_end(month), n_buckets=config.n_buckets)
        inspections = read_table(warehouse, "inspections")

        listing = scored.listing
        found = (results.reindex(listing["customer_id"]) != "clean").to_numpy()
        new_fixes = pd.Series(
            inspection_day(month), index=listing["customer_id"][found].astype(str).to_numpy()
        )
        fixed_on = pd.concat([fixed_on, new_fixes.astype(fixed_on.dtype)])
        is_model = (listing["selection"] == "model").to_numpy()
        population = builder.build(as_of).index
        active = truth_active(truth_now, month).reindex(population).fillna(False)
        base_rate = float(active.mean())
        model_findings = int(found[is_model].sum())
        explore_findings = int(found[~is_model].sum())
        precision_model = _share(model_findings, int(is_model.sum()))
        months.append(
            LoopMonth(
                month=fmt(month),
                model_version=str(info.get("version")),
                training_examples=int(trained.params["n_examples"]),
                training_findings=known_findings,
                customers=len(population),
                active_problems=int(active.sum()),
                base_rate=base_rate,
                listed=len(listing),
                model_picks=int(is_model.sum()),
                model_findings=model_findings,
                precision_model=precision_model,
                exploration_picks=int((~is_model).sum()),
                exploration_findings=explore_findings,
                precision_exploration=_share(explore_findings, int((~is_model).sum())),
                lift=precision_model / base_rate if base_rate else float("nan"),
                found_share=_share(model_findings + explore_findings, int(active.sum())),
                seconds=round(time.perf_counter() - began, 1),
            )
        )
        log.info("loop %s: %s", fmt(month), months[-1])
    return months


def loop_table(months: list[LoopMonth]) -> str:
    """The month-by-month table as plain text, with a total row (base rate: mean of the months).

    Columns: training examples and findings known when the month's model was trained; problems
    in effect this month (active) and their share of the customers scored (base rate); model
    picks, their findings and precision@k; lift = that precision / base rate; exploration picks,
    findings and precision; found = findings / problems in effect; seconds for the step.
    """
    head = (
        f"{'month':<8} {'model':>5} {'train ex':>8} {'findings':>8} {'active':>6} {'base rate':>9} "
        f"{'model k':>7} {'hits':>5} {'P@k model':>9} {'lift':>5} {'expl k':>6} {'hits':>4} "
        f"{'P expl':>6} {'found':>5} {'sec':>5}"
    )
    lines = [head, "-" * len(head)]
    for m in months:
        lines.append(
            f"{m.month:<8} {'v' + m.model_version:>5} {m.training_examples:>8} {m.training_findings:>8} "
            f"{m.active_problems:>6} {m.base_rate:>9.3f} {m.model_picks:>7} {m.model_findings:>5} "
            f"{m.precision_model:>9.3f} {m.lift:>5.1f} {m.exploration_picks:>6} {m.exploration_findings:>4} "
            f"{m.precision_exploration:>6.3f} {m.found_share:>5.2f} {m.seconds:>5.0f}"
        )
    if months:
        picks = sum(m.model_picks for m in months)
        hits = sum(m.model_findings for m in months)
        e_picks = sum(m.exploration_picks for m in months)
        e_hits = sum(m.exploration_findings for m in months)
        base = float(np.mean([m.base_rate for m in months]))
        lines.append("-" * len(head))
        lines.append(
            f"{'all':<8} {'':>5} {'':>8} {'':>8} {'':>6} {base:>9.3f} {picks:>7} {hits:>5} "
            f"{_share(hits, picks):>9.3f} {_share(hits, picks) / base if base else float('nan'):>5.1f} "
            f"{e_picks:>6} {e_hits:>4} {_share(e_hits, e_picks):>6.3f} {'':>5} "
            f"{sum(m.seconds for m in months):>5.0f}"
        )
    return "\n".join(lines)


def loop_records(months: list[LoopMonth]) -> list[dict]:
    return [asdict(m) for m in months]
