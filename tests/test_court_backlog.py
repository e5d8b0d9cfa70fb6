"""The backlog at the court list's opening: judgments left unpaid from before ``list_from``,
taken up by the courts over a review window. A user relies on: about ``share`` of the adults
owe one, more often those whom the ``like`` event strikes more often; each is taken up inside the
window and then runs the list's rules (listing, the grounds, the exits); no backlog, no change;
a backlog that names no judgment event is refused at its line. Synthetic populations only.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from scsim.cli.main import main
from scsim.core.layout import (
    AWAITING_PAYMENT,
    CASE_DUE,
    CASE_KIND,
    N_CASES,
    N_LISTINGS,
    STAGE,
)
from scsim.engine.simulate import simulate_arrays
from scsim.scenario.errors import ScenarioError

N = 20_000
SCENARIO = """
name: court-backlog
world: {{start: {start}, end: 2016-12-31, seed: 5}}
behaviour:
  events:
    judgment:
      annual_rate: 0.01
      modifier: "1 + 3 * (employment == 2)"
      consequence: judgment
      amount: {{median: 30000, sigma: 1.0}}
      pay_within_days: 30
    fine:
      annual_rate: 0.2
      consequence: fine
      amount: {{median: 200, sigma: 0.4}}
      pay_within_days: 15
schemes:
  court:
    kind: court_list
    list_from: 2014-01-01
    national_from: 2014-01-01
    grace_days: 0
    term_days: {{values: {{2014-01-01: null}}}}
    pay_if_able: 0.5
    backlog: {backlog}
"""
BACKLOG = "{share: 0.05, review_days: 90, like: judgment}"


def run(scenario_from, backlog=BACKLOG, start="2014-01-01", days=1):
    scenario = scenario_from(SCENARIO.format(backlog=backlog, start=start))
    return simulate_arrays(scenario, population=N, seed=3, days=days)


def owing(outcome):
    """Who has a judgment case (on day 0: the backlog; a day's new judgments are about 0.5)."""
    judgment = list(outcome.kinds).index("judgment")
    return (outcome.si[:, N_CASES] > 0) & (outcome.si[:, CASE_KIND] == judgment)


def test_about_the_share_of_adults_owe_an_old_judgment_taken_up_inside_the_window(
    scenario_from,
):
    outcome = run(scenario_from)
    adult = outcome.population.age(2014) >= 18
    owes = owing(outcome)
    assert not owes[~adult].any()  # (children owe nothing)
    share = owes.sum() / adult.sum()
    assert share == pytest.approx(0.05, rel=0.1)
    fines = (outcome.si[:, N_CASES] > 0) & ~owes
    assert fines.sum() < 40  # only the day's own fines (about 11): the backlog is of judgments
    waiting = owes & (outcome.si[:, STAGE] == AWAITING_PAYMENT)  # (day 0's were taken up)
    assert waiting.sum() > 0.95 * owes.sum()
    due = outcome.si[waiting, CASE_DUE]
    assert due.min() >= 0 and due.max() < 90
    # spread over the window, not all on the first day
    assert np.histogram(due, bins=3, range=(0, 90))[0].min() > waiting.sum() / 5


def test_who_owes_one_follows_the_like_events_rate(scenario_from):
    outcome = run(scenario_from)
    adult = outcome.population.age(2014) >= 18
    owes = owing(outcome)
    self_employed = outcome.population.employment == 2
    more = owes[adult & self_employed].mean()
    fewer = owes[adult & ~self_employed].mean()
    assert more / fewer == pytest.approx(4.0, rel=0.25)  # the modifier: 1 + 3 × self-employed


def test_the_old_cases_are_listed_under_the_lists_rules(scenario_from):
    backlog = owing(run(scenario_from)).sum()
    listed = (run(scenario_from, days=120).si[:, N_LISTINGS] > 0).sum()
    without = (run(scenario_from, backlog="{share: 0.0}", days=120).si[:, N_LISTINGS] > 0).sum()
    # the unpaid among them (those who cannot pay, and half of those who can) are all listed
    # (grace 0, listing certain): more than 40% of the backlog, never more than all of it
    assert 0.4 * backlog < listed - without <= backlog


def test_a_run_that_starts_after_the_window_has_no_backlog(scenario_from):
    outcome = run(scenario_from, start="2014-06-01")
    assert not owing(outcome).any()


def test_no_backlog_changes_nothing(scenario_from):
    off = run(scenario_from, backlog="{share: 0.0, like: judgment}", days=400)
    unset = simulate_arrays(
        scenario_from(SCENARIO.replace("    backlog: {backlog}\n", "").format(start="2014-01-01")),
        population=N,
        seed=3,
        days=400,
    )
    assert np.array_equal(off.si, unset.si) and np.array_equal(off.sf, unset.sf)


@pytest.mark.parametrize(
    ("backlog", "message"),
    [
        ("{share: 0.01}", "a backlog needs the judgment event it is like (judgment)"),
        ("{share: 0.01, like: fine}", "'fine' is not an event with a judgment; judgment events"),
        ("{share: 0.01, like: jugment}", "'jugment' is not a behaviour event"),
        ("{share: 1.5, like: judgment}", "share"),
    ],
)
def test_a_backlog_that_cannot_be_drawn_is_refused_at_its_line(
    tmp_path, scenario_from, backlog, message
):
    with pytest.raises(ScenarioError) as raised:
        scenario_from(SCENARIO.format(backlog=backlog, start="2014-01-01"))
    assert message in str(raised.value)
    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.format(backlog=backlog, start="2014-01-01"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:" in result.output and "backlog" in result.output
