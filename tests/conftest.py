import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GRIDAUDIT_SHARED", ROOT.parent / "shared"))
SHARED_DATA = SHARED / "data"
CASES = SHARED / "cases"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"real data not available: {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture
def cases_dir() -> Path:
    if not CASES.exists():
        pytest.skip(f"shared cases not available: {CASES} is absent")
    return CASES


# Property tests draw the same examples on every run (a red CI must be reproducible), and never
# fail on timing: the CI machine is shared and its speed varies.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "gridaudit", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("gridaudit")
