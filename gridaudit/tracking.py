"""MLflow at the edges: where runs are stored, logging a risk model, the registry and its champion.

Default store: an embedded SQLite database in the working folder (``sqlite:///<cwd>/mlflow.db``)
with artifacts beside it (``<cwd>/mlruns``), written out explicitly rather than relying on
MLflow's relative default, so that ``train``, ``score`` and ``evaluate`` run in one folder share
it and ``mlflow ui --backend-store-uri sqlite:///mlflow.db`` in that folder shows the runs.
``config.tracking_uri`` / ``--tracking-uri`` point elsewhere (a team's tracking server).

The model is logged as an MLflow pyfunc that wraps :class:`gridaudit.model.RiskModel`: the
RiskModel folder (LightGBM text + meta.json with its sha256) travels as an artifact, and the
pyfunc returns the calibrated probability of a finding for a raw feature frame. The signature is
inferred from an example whose category columns are plain strings (pandas ``category`` breaks
MLflow's inference, shared case 02); RiskModel.encode maps strings by its stored levels.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from .errors import InputError
from .model import RiskModel

log = logging.getLogger(__name__)

EXPERIMENT = "gridaudit"
CHAMPION = "champion"
MODEL_NAMES = {"customer": "customer_risk", "work_order": "work_order_risk"}
RISK_MODEL_ARTIFACT = "risk_model"  # key (and folder name) of the RiskModel inside the pyfunc
DB_FILE = "mlflow.db"
ARTIFACT_DIR = "mlruns"


class NoChampionError(InputError, LookupError):
    """The tracking store has no model carrying the champion alias."""


def default_tracking_uri(folder: str | Path | None = None) -> str:
    """``sqlite:///<absolute folder>/mlflow.db`` (folder = the working folder by default)."""
    base = Path(folder) if folder is not None else Path.cwd()
    return f"sqlite:///{(base.resolve() / DB_FILE).as_posix()}"


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    return tracking_uri or default_tracking_uri()


def _sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, else None."""
    prefix = "sqlite:///"
    return Path(uri[len(prefix) :]) if uri.startswith(prefix) else None


def artifact_location(uri: str) -> str | None:
    """Artifacts of a SQLite store live in ``mlruns/`` beside the database; servers decide their own."""
    db = _sqlite_path(uri)
    return (db.resolve().parent / ARTIFACT_DIR).as_uri() if db is not None else None


def mlflow_ui_command(uri: str) -> str:
    """The command an analyst runs to browse the runs of this store."""
    db = _sqlite_path(uri)
    if db is None:
        return f"open {uri} in a browser"
    return f"mlflow ui --backend-store-uri {uri}"


def use_store(tracking_uri: str | None = None, create_experiment: bool = True) -> str:
    """Point MLflow (tracking and registry) at the store; make sure the experiment exists."""
    uri = resolve_tracking_uri(tracking_uri)
    # download progress bars would garble the CLI's own output; a user's explicit setting wins
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if create_experiment:
        client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
        if client.get_experiment_by_name(EXPERIMENT) is None:
            location = artifact_location(uri)
            client.create_experiment(EXPERIMENT, artifact_location=location)
            log.info("created MLflow experiment %s in %s (artifacts %s)", EXPERIMENT, uri, location)
        mlflow.set_experiment(EXPERIMENT)
    return uri


# ---------------------------------------------------------------- the pyfunc wrapper
class RiskModelPyfunc(mlflow.pyfunc.PythonModel):
    """MLflow pyfunc face of a RiskModel: predict(frame) -> calibrated probability of a finding."""

    def load_context(self, context) -> None:
        self.model = RiskModel.load(context.artifacts[RISK_MODEL_ARTIFACT])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> np.ndarray:
        return self.model.score(model_input)


def plain_example(X: pd.DataFrame, model: RiskModel, n_rows: int = 5) -> pd.DataFrame:
    """A few rows as MLflow sees served data: categories as plain strings (None when missing),
    everything else float64 (RiskModel reads numbers as floats anyway, and float keeps the
    signature valid when a column has missing values)."""
    head = X[model.feature_names_].head(n_rows)
    out = {}
    for col in model.feature_names_:
        series = head[col]
        if col in model.categorical_features_:
            text = series.astype(object).where(series.notna(), None)
            out[col] = text.map(lambda v: None if v is None else str(v)).astype(object)
        else:
            out[col] = pd.to_numeric(series, errors="coerce").astype("float64")
    return pd.DataFrame(out, index=head.index).reset_index(drop=True)


def _pip_requirements() -> list[str]:
    """Pinned so MLflow need not load the model in a subprocess to guess them."""
    from importlib.metadata import version

    return [f"{pkg}=={version(pkg)}" for pkg in ("lightgbm", "pandas", "numpy", "scikit-learn", "mlflow")]


@dataclass(frozen=True)
class LoggedModel:
    model_uri: str
    name: str | None
    version: str | None
    run_id: str


def log_risk_model(
    model: RiskModel,
    X_example: pd.DataFrame,
    registered_name: str | None = None,
    set_champion: bool = True,
) -> LoggedModel:
    """Log ``model`` in the active run as a pyfunc with a signature; optionally register it and
    move the champion alias to the new version."""
    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("log_risk_model needs an active MLflow run")
    example = plain_example(X_example, model)
    signature = infer_signature(example, model.score(example))
    with tempfile.TemporaryDirectory(prefix="gridaudit-model-") as tmp:
        folder = model.save(Path(tmp) / RISK_MODEL_ARTIFACT)
        # MLflow warns that python_model is cloudpickled; ours pickles as a reference to the
        # importable class RiskModelPyfunc (no state), the model itself travels as files.
        pyfunc_log = logging.getLogger("mlflow.pyfunc")
        level = pyfunc_log.level
        pyfunc_log.setLevel(logging.ERROR)
        try:
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=RiskModelPyfunc(),
                artifacts={RISK_MODEL_ARTIFACT: str(folder)},
                signature=signature,
                input_example=example,
                pip_requirements=_pip_requirements(),
                registered_model_name=registered_name,
            )
        finally:
            pyfunc_log.setLevel(level)
    version = None
    if registered_name:
        version = str(info.registered_model_version)
        if set_champion:
            client = mlflow.MlflowClient()
            client.set_registered_model_alias(registered_name, CHAMPION, version)
            log.info("%s version %s is now the %s", registered_name, version, CHAMPION)
    return LoggedModel(info.model_uri, registered_name, version, run.info.run_id)


def run_param(run_id: str, key: str, tracking_uri: str | None = None) -> str | None:
    """One parameter of a recorded run (e.g. the data_hash a model was trained on)."""
    uri = resolve_tracking_uri(tracking_uri)
    return mlflow.MlflowClient(tracking_uri=uri).get_run(run_id).data.params.get(key)


# ---------------------------------------------------------------- the champion
def load_champion(
    name: str = "customer_risk", tracking_uri: str | None = None, alias: str = CHAMPION
) -> tuple[RiskModel, dict]:
    """The RiskModel behind ``models:/<name>@<alias>`` and where it came from.

    Returns ``(model, info)`` with info = {name, version, run_id, alias, model_uri, tracking_uri}.
    The RiskModel is loaded from its own files (RiskModel.load checks their sha256).
    """
    uri = resolve_tracking_uri(tracking_uri)
    missing = NoChampionError(
        f"no {alias} model for {name} in the tracking store at {uri}; run 'gridaudit train' first"
    )
    db = _sqlite_path(uri)
    if db is not None and not db.exists():
        raise missing  # do not create an empty store just to look into it
    use_store(uri, create_experiment=False)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        version = client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        raise missing from exc
    model_uri = f"models:/{name}@{alias}"
    with tempfile.TemporaryDirectory(prefix="gridaudit-champion-") as tmp:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=tmp))
        folder = local / "artifacts" / RISK_MODEL_ARTIFACT
        if not folder.exists():
            found = sorted(local.rglob("meta.json"))
            if not found:
                raise InputError(f"the model {model_uri} in {uri} holds no gridaudit risk model files")
            folder = found[0].parent
        model = RiskModel.load(folder)
    info = {
        "name": name,
        "version": str(version.version),
        "run_id": version.run_id,
        "alias": alias,
        "model_uri": model_uri,
        "tracking_uri": uri,
    }
    return model, info


def champion_run(name: str, tracking_uri: str | None = None, alias: str = CHAMPION) -> dict | None:
    """``{"version", "run_id", "params"}`` of the model behind the alias, or None when there is
    none (no store, no registered model, no alias); creates nothing."""
    uri = resolve_tracking_uri(tracking_uri)
    db = _sqlite_path(uri)
    if db is not None and not db.exists():
        return None
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        version = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    params = client.get_run(version.run_id).data.params if version.run_id else {}
    return {"version": str(version.version), "run_id": version.run_id, "params": dict(params)}


def set_champion(name: str, version: str, tracking_uri: str | None = None) -> None:
    uri = resolve_tracking_uri(tracking_uri)
    mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri).set_registered_model_alias(
        name, CHAMPION, version
    )
    log.info("%s version %s is now the %s", name, version, CHAMPION)
