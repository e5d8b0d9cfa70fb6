"""A scenario may declare the outcomes that hurt its audit leads with (``headline:``); without
one they follow from its mechanisms. A name its mechanisms do not have is an error at its place.

Every population here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest

import scsim
from scsim.scenario.errors import ScenarioError

BUNDLED = Path(scsim.__file__).parent / "scenarios" / "court-blacklist.yaml"


def with_headline(folder: Path, lines: str) -> Path:
    text = BUNDLED.read_text(encoding="utf-8").replace("parts/", "scsim:parts/")
    path = folder / "headlined.yaml"
    path.write_text(text.rstrip("\n") + "\nheadline:\n" + lines, encoding="utf-8")
    return path


def adverse_order(scenario, folder: Path) -> list[str]:
    run = scsim.simulate(scenario, population=2000, days=400, out=folder)
    table = run.audit().table
    rows = table.filter(pc.equal(table["metric"], "adverse_rate"))
    return list(dict.fromkeys(rows["category"].to_pylist()))


def test_without_a_declaration_the_mechanisms_give_the_order(tmp_path):
    sc = scsim.load("court-blacklist")
    assert sc.spec.headline == []
    order = adverse_order(sc, tmp_path)
    assert order[0] == "listed"
    assert set(order) <= set(sc.spec.adverse_outcomes())


def test_a_declared_headline_leads_the_audit(tmp_path):
    path = with_headline(tmp_path, "  - sanction_private_school_ban\n  - listed\n")
    sc = scsim.load(path)
    order = adverse_order(sc, tmp_path / "runs")
    assert order[:2] == ["sanction_private_school_ban", "listed"]
    assert sorted(order) == sorted(adverse_order(scsim.load("court-blacklist"), tmp_path / "b"))


@pytest.mark.parametrize(
    ("lines", "message", "entry"),
    [
        ("  - listd\n", "did you mean 'listed'", 0),
        ("  - composite_band\n", "not an outcome of this scenario's mechanisms", 0),
        ("  - listed\n  - listed\n", "named twice", 1),
    ],
)
def test_a_headline_the_mechanisms_lack_is_refused_at_its_place(tmp_path, lines, message, entry):
    path = with_headline(tmp_path, lines)
    with pytest.raises(ScenarioError, match=message) as caught:
        scsim.load(path)
    first = len(path.read_text(encoding="utf-8").splitlines()) - lines.count("\n") + 1
    assert f"headlined.yaml:{first + entry}:" in str(caught.value)
