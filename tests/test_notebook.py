"""docs/notebook.ipynb runs: every code cell, in order, at a small scale, in a temporary
directory — as Jupyter would, with the last expression of a cell displayed (its repr short, its
HTML escaped). No Jupyter needed: the cells are read from the notebook's JSON and executed here.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

import scsim

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebook.ipynb"
SMALL = {"POPULATION = 5_000": "POPULATION = 800", "DAYS = 365": "DAYS = 120"}
SHORT = 300


def code_cells() -> list[str]:
    data = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert data["nbformat"] == 4
    return ["".join(c["source"]) for c in data["cells"] if c["cell_type"] == "code"]


def run_cell(source: str, namespace: dict[str, Any], name: str) -> Any:
    """Execute a cell; return the value of its last line when that is an expression."""
    tree = ast.parse(source, name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, name, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), name, "eval"), namespace)


def small(source: str) -> str:
    for full, cheap in SMALL.items():
        source = source.replace(full, cheap)
    return source


def test_the_notebook_sets_its_scale_where_the_test_can_shrink_it() -> None:
    first = code_cells()[0]
    assert all(full in first for full in SMALL), "the first code cell sets POPULATION and DAYS"


def test_the_notebook_runs_cell_by_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no window: the plot cell draws into memory
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    shown = []
    for i, source in enumerate(code_cells()):
        value = run_cell(small(source), namespace, f"notebook.ipynb[cell {i}]")
        if value is not None:
            shown.append(value)
    kinds = {type(v).__name__ for v in shown}
    assert {"Scenario", "Run", "AuditTable", "Comparison"} <= kinds
    for value in shown:
        if type(value).__module__.startswith("scsim."):
            assert len(repr(value)) < SHORT, repr(value)
            page = value._repr_html_()
            assert page.startswith("<div>") and "<script" not in page
    run, alt = namespace["run"], namespace["alt"]
    assert isinstance(run, scsim.Run) and run.path.resolve().is_relative_to(tmp_path.resolve())
    assert run.seed == alt.seed and run.population["n_agents"] == 800
    assert (run.path / "report.html").is_file()
    figure = namespace["fig"]
    assert figure.axes[0].get_lines(), "the plot draws a line"
