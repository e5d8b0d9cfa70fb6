"""The corpus of broken scenarios (benchmarks/broken_corpus.py), loaded in this process: every
case is refused with a ScenarioError whose every issue has a position, never accepted and never
another exception. The first case of each group runs by default, all of them with ``-m slow``
(the benchmark itself runs ``scsim validate`` once per case and times it)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from scsim.scenario.errors import ScenarioError
from scsim.scenario.model import load

_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "broken_corpus.py"
_spec = importlib.util.spec_from_file_location("broken_corpus", _SCRIPT)
broken_corpus = importlib.util.module_from_spec(_spec)
sys.modules["broken_corpus"] = broken_corpus  # its dataclasses look their module up
_spec.loader.exec_module(broken_corpus)

CASES = broken_corpus.corpus()
FIRST_OF_EACH_GROUP = list({case.group: case for case in reversed(CASES)}.values())


def test_the_corpus_has_300_cases_or_more_in_every_group():
    assert len(CASES) >= 300
    groups = {case.group for case in CASES}
    assert groups == {"typo", "type", "range", "date", "expression", "structure", "file"}


def check_refused_with_a_position(case, tmp_path: Path) -> None:
    file = case.write(tmp_path)
    with pytest.raises(ScenarioError) as caught:
        load(file)
    for issue in caught.value.issues:
        assert issue.line > 0 or issue.path, f"{case.group}: {case.name}: no position in {issue}"


@pytest.mark.parametrize("case", FIRST_OF_EACH_GROUP, ids=lambda c: f"{c.group}:{c.name}")
def test_a_broken_scenario_of_each_group_is_refused_with_a_position(case, tmp_path):
    check_refused_with_a_position(case, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.group}:{c.name}")
def test_every_broken_scenario_of_the_corpus_is_refused_with_a_position(case, tmp_path):
    check_refused_with_a_position(case, tmp_path)
