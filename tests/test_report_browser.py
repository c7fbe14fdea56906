"""The report opens in a real browser: headless Chromium loads a generated report.html, every
chart is drawn with a non-zero size and the console stays silent.

Chromium runs with ``--dump-dom``: the report's own inline script counts the charts the browser
laid out (``svg.chart`` with a non-zero bounding box) and writes the counts on ``<body>``, which
the dumped DOM shows. With ``--enable-logging=stderr`` every console message of the page (errors,
uncaught exceptions, failed loads) appears on stderr as an ``INFO:CONSOLE`` line; the report
writes nothing to the console, so any such line is a failure. A planted broken copy proves the
check sees both kinds of fault.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``; CI installs it). Without
it the tests skip.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest
from scoring_fixtures import MODEL_INFO, fit_tiny_model, register_test_specs, tiny_features, tiny_tables

from gridaudit.config import Config
from gridaudit.scoring import score_month

CHROMIUM = Path(os.environ.get("GRIDAUDIT_CHROMIUM", "/usr/bin/chromium"))
TIMEOUT_S = 90
CHARTS_PER_TARGET = 2  # consumption curve + contributions

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"headless browser check needs Chromium at {CHROMIUM} (apt-get install -y chromium)",
    ),
]


def open_in_chromium(page: Path, profile: Path) -> tuple[str, list[str]]:
    """(the DOM after load, the page's console lines) from one headless Chromium run."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def body_counts(dom: str) -> tuple[int, int]:
    """(charts, charts drawn with a non-zero size) as the report's script wrote them on <body>."""
    body = re.search(r"<body([^>]*)>", dom)
    assert body, "no <body> in the dumped DOM"
    total = re.search(r'data-charts="(\d+)"', body.group(1))
    drawn = re.search(r'data-charts-ok="(\d+)"', body.group(1))
    assert total and drawn, f"the chart check did not run: <body{body.group(1)}>"
    return int(total.group(1)), int(drawn.group(1))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        register_test_specs(mp)
        tables = tiny_tables()
        features = tiny_features(tables["customers"])
        model = fit_tiny_model(features)
        out = tmp_path_factory.mktemp("lists")
        config = Config(capacity=10, exploration_share=0.2, seed=7)
        result = score_month(tables, "2026-01", model, MODEL_INFO, config, out_dir=out, features=features)
    return result


def test_every_chart_renders_and_the_console_is_silent(report, tmp_path):
    dom, console = open_in_chromium(report.report_path, tmp_path / "profile")
    expected = len(report.listing) * CHARTS_PER_TARGET
    assert len(report.listing) == 10
    assert body_counts(dom) == (expected, expected)
    assert dom.count('class="target"') == 10
    assert console == []


def test_the_check_sees_a_script_error_and_an_empty_chart(report, tmp_path):
    text = report.report_path.read_text(encoding="utf-8")
    broken = text.replace('<svg class="chart curve" width="640"', '<svg class="chart curve" width="0"', 1)
    broken = broken.replace("</body>", "<script>undefinedFunction();</script></body>")
    page = tmp_path / "broken.html"
    page.write_text(broken, encoding="utf-8")
    dom, console = open_in_chromium(page, tmp_path / "profile")
    expected = len(report.listing) * CHARTS_PER_TARGET
    assert body_counts(dom) == (expected, expected - 1)
    assert len(console) == 1 and "undefinedFunction is not defined" in console[0]
