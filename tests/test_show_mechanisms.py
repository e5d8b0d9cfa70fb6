"""``scsim show`` follows the mechanisms of the run's scenario: nothing about a mechanism the
scenario lacks (no court-list table of zeros for Sesame), at least one line about each one it
has, rewards apart from sanctions, and every line within an 80-column terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

import scsim
from scsim.cli.show import render_summary
from scsim.results import Run, summarize
from scsim.scenario.model import bundled_names, load


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """Each bundled scenario's ``show`` at 80 columns and at 240 (where no label folds), 2,000
    agents over 365 days."""
    out = tmp_path_factory.mktemp("show")
    texts = {}
    for name in bundled_names():
        run = scsim.simulate(load(name), population=2000, days=365, out=out)
        summary = summarize(Run(run.path))
        both = []
        for width in (80, 240):
            buffer = io.StringIO()
            render_summary(summary, Console(file=buffer, width=width, color_system=None))
            both.append(buffer.getvalue())
        texts[name] = tuple(both)
    return texts


def _named(text: str, label: str) -> bool:
    """Whether a table row of ``text`` starts with ``label``."""
    return any(line.startswith(label) for line in text.splitlines())


@pytest.mark.parametrize("name", bundled_names())
def test_show_speaks_of_each_mechanism_the_scenario_has_and_no_other(
    shown: dict[str, tuple[str, str]], name: str
) -> None:
    narrow, text = shown[name]
    spec = load(name).spec
    wide = [line for line in narrow.splitlines() if len(line) > 80]
    assert not wide, wide
    assert "…" not in narrow  # a name that does not fit folds onto the next line, never cut
    court = spec.court_list()
    assert ("Listed at" in text) == (court is not None)
    assert ("listed on records that were not theirs" in text) == (court is not None)
    if court is None:
        assert "court list" not in text.lower()
    assert ("Grades at" in text) == (spec.points_scheme() is not None)
    composite = spec.composite()
    if composite is not None:
        assert (composite[1].label or composite[0]) in text
    else:
        assert "Score bands" not in text and "users" not in text
    lists = spec.lists()
    assert ("Black and red lists" in text) == bool(lists)
    # each is named by its label (the identifier only where the scenario gives none)
    for list_name, scheme in lists.items():
        assert _named(text, scheme.label or list_name), list_name
    sanctions = [m for m, measure in spec.measures.items() if not measure.is_reward]
    rewards = [m for m, measure in spec.measures.items() if measure.is_reward]
    assert ("Sanctions at" in text) == bool(sanctions)
    assert ("Rewards at" in text) == bool(rewards)
    for measure in spec.measures.values():
        assert _named(text, measure.label), measure.label
    if rewards:  # a reward is listed under Rewards, not under Sanctions
        sanction_part, reward_part = text.split("Rewards at", 1)
        for reward in rewards:
            label = spec.measures[reward].label
            assert _named(reward_part, label) and not _named(sanction_part, label), label
    assert ("Hukou rights lacked" in text) == bool(spec.hukou.rights)
    for right in spec.hukou.rights.values():
        assert _named(text, right.label), right.label
    assert ("hukou conversions over the run" in text) == bool(spec.hukou.conversion)
    has_graph = spec.world.population.graph is not None
    assert ("ties dropped over the run" in text) == has_graph
    assert "Events over the run" in text
    events = spec.behaviour.events
    assert any(_named(text, e.label) for e in events.values() if e.label)  # by their labels
    assert not [n for n, e in events.items() if e.label and _named(text, f"{n} ")]


def test_the_summary_says_which_mechanisms_the_run_has(tmp_path: Path) -> None:
    run = scsim.simulate(load("hukou-only"), population=500, days=31, out=tmp_path)
    s = summarize(Run(run.path))
    assert s["mechanisms"]["court_list"] is None and s["listed"] == []
    assert s["grades"] == [] and s["sanctions"] == [] and s["rewards"] == []
    assert [r["category"] for r in s["rights"]] == list(load("hukou-only").spec.hukou.rights)
