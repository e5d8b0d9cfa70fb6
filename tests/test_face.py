"""The face: every verb is one function of ``scsim``, and the README's Python example runs."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import scsim

ROOT = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1, "the README has one Python example"
    return blocks[0]


def test_the_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = readme_example()
    # Run as written, at a small population, with the run directories under tmp_path.
    small = code.replace("population=100_000", "population=3_000")
    assert small != code
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(small, "README.md", "exec"), namespace)
    assert isinstance(namespace["base"], scsim.Run)
    assert namespace["diff"].runs_a[0].path == namespace["base"].path
    assert [run.seed for run in namespace["runs"]] == [20131001, 20131002, 20131003]
    assert (namespace["base"].path / "report.html").is_file()
    assert Path(os.getcwd(), "runs").is_dir()


@pytest.mark.parametrize(
    "verb", ["load", "simulate", "replicate", "audit", "compare", "explain", "report"]
)
def test_every_verb_is_a_callable_of_the_package(verb: str) -> None:
    assert callable(getattr(scsim, verb))
    assert verb in scsim.__all__


def test_audit_and_report_stay_packages_when_called(tmp_path: Path) -> None:
    import scsim.audit.metrics
    import scsim.report.write

    assert callable(scsim.audit) and callable(scsim.report)
    assert scsim.audit.metrics.audit is not scsim.audit
    run = scsim.simulate("mesa-reference", population=500, days=30, out=tmp_path)
    table = scsim.audit(run, by="hukou")
    assert table.value("scored_share") == pytest.approx(1.0)
    assert table.by_group("hukou").num_rows > 0
    assert set(table.overall.column("group").to_pylist()) == {"all"}


def test_simulate_runs_once_and_replicate_runs_seeds(tmp_path: Path) -> None:
    runs = scsim.replicate("mesa-reference", 2, seed=5, population=300, days=10, out=tmp_path)
    assert [run.seed for run in runs] == [5, 6]
    again = scsim.simulate("mesa-reference", seed=6, population=300, days=10, out=tmp_path / "x")
    assert again.timeseries().equals(runs[1].timeseries())
    with pytest.raises(TypeError):
        scsim.simulate("mesa-reference", replicates=2)  # type: ignore[call-arg]


def test_explain_by_id_or_by_condition(tmp_path: Path) -> None:
    run = scsim.simulate("court-blacklist", population=3000, out=tmp_path)
    picked = scsim.explain(run, pick="listed")
    assert picked.picked is not None and picked.snapshot
    assert scsim.explain(run, picked.citizen).citizen == picked.citizen
    from scsim.audit.explain import ExplainError

    with pytest.raises(ExplainError, match="not both"):
        scsim.explain(run, 0, pick="listed")
