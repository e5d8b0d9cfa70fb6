"""The command line in a narrow terminal (``COLUMNS=80``): no line is wider than the terminal,
and no name that identifies something (a scenario, a metric, a column) is cut."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scsim.scenario.model import bundled_names, load

SRC = Path(__file__).resolve().parents[1] / "src"


def scsim(*args: str, columns: int = 80) -> str:
    """The CLI's stdout in a fresh process with ``COLUMNS`` set, as a pipe to a pager sees it."""
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-m", "scsim", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_fits(text: str, columns: int = 80) -> None:
    wide = [line for line in text.splitlines() if len(line) > columns]
    assert not wide, f"{len(wide)} lines wider than {columns}:\n" + "\n".join(wide)


def words(text: str) -> set[str]:
    """Every whitespace-separated token, so that a name cut by "…" or folded mid-word is absent."""
    return set(text.split())


@pytest.mark.parametrize("columns", [80, 160])
def test_scenarios_fit_and_name_every_scenario_whole(columns: int) -> None:
    out = scsim("scenarios", columns=columns)
    assert_fits(out, columns)
    assert "…" not in out
    for name in bundled_names():
        assert name in words(out), name
        title = load(name).spec.title
        assert " ".join(title.split()) in " ".join(_beside_names(out)), title


def _beside_names(text: str) -> list[str]:
    """The text right of the name column, record by record (titles wrap there)."""
    left = max(map(len, bundled_names())) + 2
    return [line[left:].strip() for line in text.splitlines()]


def test_scenarios_on_a_pipe_are_one_line_each() -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "scsim", "scenarios"], capture_output=True, text=True,
        env={**env, "PYTHONPATH": str(SRC)}, timeout=600, check=True,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    for name in bundled_names():
        (line,) = [x for x in lines if x.startswith(name + " ")]
        assert load(name).spec.title in line


def test_scenarios_json_lists_names_titles_and_mechanisms() -> None:
    listing = json.loads(scsim("scenarios", "--json"))
    assert [s["name"] for s in listing] == bundled_names()
    for entry in listing:
        spec = load(entry["name"]).spec
        assert entry["title"] == spec.title
        assert entry["mechanisms"] == spec.mechanisms()
