"""Training against a real ``mlflow server`` on loopback (tracking URI = server URL from config).

The server runs in its own process group, stores runs in SQLite and proxies artifacts to a
folder under tmp_path; the test is skipped when the server does not answer within 60 s.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from training_fixtures import StubBuilder, tiny_tables

from gridaudit.config import Config
from gridaudit.tracking import load_champion
from gridaudit.training import train_model

START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(server: subprocess.Popen) -> None:
    """End the server and the workers it started (its own process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)


@pytest.fixture
def mlflow_server(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "server.log", "wb")
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{(tmp_path / 's.db').as_posix()}",
        "--artifacts-destination", str(tmp_path / "art"),
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(url):
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (tmp_path / "server.log").read_text(errors="replace")[-500:]
                pytest.skip(f"mlflow server did not come up within {START_TIMEOUT_S} s: {tail}")
            time.sleep(0.5)
        yield url
    finally:
        _stop(server)
        log.close()


@pytest.mark.slow
def test_train_against_a_real_mlflow_server_and_load_the_champion_back(mlflow_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tables = tiny_tables(n_customers=200)
    config = Config(
        num_boost_round=20, min_child_samples=5, validation_months=1, capacity=5, tracking_uri=mlflow_server
    )
    result = train_model(tables, config, builder=StubBuilder(tables))
    assert result.tracking_uri == mlflow_server
    assert result.model_name == "customer_risk" and result.version == "1"

    model, info = load_champion("customer_risk", tracking_uri=mlflow_server)
    assert info["run_id"] == result.run_id
    X = StubBuilder(tables).build("2024-05")
    np.testing.assert_allclose(model.score(X), result.model.score(X), rtol=1e-12)
    # artifacts went through the server's proxy into its own folder, not into the working folder
    assert any((tmp_path / "art").rglob("shap_summary.png"))
    assert not (tmp_path / "mlruns").exists()
