"""Shared fixtures: scenarios written from YAML text, and small helpers to read runs.

Every population here is synthetic; the scenarios are test fixtures, not claims about any
real scheme.
"""

from __future__ import annotations

import itertools
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import scsim
from scsim import Scenario


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a headless Chromium that Playwright can drive: skipped when missing, except
    in CI (.ci/run installs both Playwright and Debian's chromium), where it fails."""
    missing = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "Playwright for Python is not installed (pip install -e '.[dev]'; .ci/run does)"
    candidates = (os.environ.get("SCSIM_CHROMIUM"), "/usr/bin/chromium",
                  shutil.which("chromium"), shutil.which("chromium-browser"))  # fmt: skip
    found = next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)
    if missing is None and found is None:
        missing = "Debian's chromium is not installed (apt-get install chromium; .ci/run does)"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return found


@pytest.fixture(scope="session")
def settle() -> Callable[..., None]:
    """``settle(page, width)``: wait (up to 3 s) for a report page to be no wider than a new
    window ``width`` — report.js resizes the charts on the window's resize event, which a busy
    machine may deliver after the next evaluation. A page that stays too wide still fails the
    check that follows."""
    import contextlib

    def wait(page, width: int) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                f"() => document.documentElement.scrollWidth <= {int(width)}", timeout=3000
            )

    return wait


def write_scenario(directory: Path, text: str, name: str = "scenario.yaml") -> Path:
    """Write a YAML scenario (dedented) into ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def scenario_from(tmp_path: Path) -> Callable[[str], Scenario]:
    """``scenario_from(yaml_text)`` writes the text to tmp_path and loads it with scsim.load."""
    counter = itertools.count()

    def load(text: str) -> Scenario:
        return scsim.load(write_scenario(tmp_path / "scenarios", text, f"s{next(counter)}.yaml"))

    return load


@pytest.fixture(scope="session")
def session_scenario(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Scenario]:
    """Like ``scenario_from``, usable from module- and session-scoped fixtures."""
    root = tmp_path_factory.mktemp("scenarios")
    counter = itertools.count()

    def load(text: str) -> Scenario:
        return scsim.load(write_scenario(root, text, f"s{next(counter)}.yaml"))

    return load


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide folder for run directories."""
    return tmp_path_factory.mktemp("runs")


def arrays(table: pa.Table) -> dict[str, np.ndarray]:
    """A Parquet table as numpy columns (categorical columns decoded to their labels)."""
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


@pytest.fixture(scope="session")
def as_arrays() -> Callable[[pa.Table], dict[str, np.ndarray]]:
    """``as_arrays(table)``: a table's columns as numpy arrays, categories as labels."""
    return arrays
