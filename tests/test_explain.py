"""Explaining one citizen: the timeline is the event log read with its rules, --pick finds the
citizens people ask about, JSON round-trips, and bad input gets a message, never a traceback.

Every citizen here is an agent of a small simulated population, not a person.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import click
import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import scsim
from scsim.audit import explain as lib
from scsim.audit.explain import ExplainError, NoMatch, explain, pick, pick_vocabulary
from scsim.cli.explain import PICK_HELP
from scsim.cli.explain import explain as explain_command
from scsim.rules import Bool, Number

POPULATION = 5000
MISATTRIBUTION = 0.3  # high, so that a small run holds wrongful listings


@pytest.fixture(scope="module")
def scenario():
    """Rongcheng (points and the court list) with many records landing on the wrong person."""
    # (and a listing probability above the bundled 2014 step's 0.0125, so that 400 days list some)
    return scsim.load("rongcheng").reform(
        {"observation.misattribution": MISATTRIBUTION, "schemes.court.list_probability": 0.6}
    )


@pytest.fixture(scope="module")
def run(scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("explain-events")
    return scsim.simulate(scenario, population=POPULATION, days=400, out=out, events=True)


@pytest.fixture(scope="module")
def run_without_events(scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("explain-no-events")
    return scsim.simulate(scenario, population=POPULATION, days=120, out=out)


@pytest.fixture(scope="module")
def log(run):
    """The event log as plain rows, read without DuckDB: citizen -> [(date, event, kind, value)]."""
    table = pq.read_table(run.file("events.parquet"))
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    rows: dict[int, list[tuple]] = {}
    for date, citizen, event, kind, value in zip(
        cols["date"], cols["citizen"], cols["event"], cols["kind"], cols["value"], strict=True
    ):
        rows.setdefault(citizen, []).append((date, event, kind, value))
    return rows


def citizens(run, *columns):
    table = run.citizens(["id", *columns])
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


def wrongfully_listed(run):
    c = citizens(run, "listed", "wrongful_listings")
    return c["id"][c["listed"] & (c["wrongful_listings"] > 0)]


# --------------------------------------------------------------------------------------------
# The timeline


def interesting(run, log):
    """A few citizens whose stories differ: wrongfully listed, the busiest, a mover, a payer."""
    ids = [int(wrongfully_listed(run)[0]), max(log, key=lambda c: len(log[c]))]
    for event, kind in (("moved", None), ("case_closed", "paid"), ("wrongful_record", None)):
        found = next(
            c
            for c, rows in log.items()
            if any(r[1] == event and kind in (None, r[2]) for r in rows)
        )
        ids.append(found)
    return list(dict.fromkeys(ids))


def test_the_timeline_is_the_event_log_in_order(run, log):
    for citizen in interesting(run, log):
        timeline = explain(run, citizen).timeline
        got = [(e["date"], e["event"], e["kind"], e["value"]) for e in timeline]
        assert got == log[citizen], citizen
        assert all(e["text"] for e in timeline)


def test_events_read_true_and_as_recorded(run, log):
    statuses = {0: "undetected", 1: "recorded", 2: "misattributed"}
    for citizen in interesting(run, log):
        for entry in explain(run, citizen).timeline:
            if entry["event"] == "event":
                assert entry["record"] == statuses[int(entry["value"])]
            if entry["event"] == "wrongful_record":
                assert "did not commit" in entry["text"]


def test_a_points_change_names_the_rule_and_its_delta(run, log, scenario):
    name, scheme = scenario.spec.points_scheme()
    seen = set()
    for citizen in interesting(run, log):
        explanation = explain(run, citizen)
        for entry in explanation.timeline:
            if entry["event"] != "points":
                continue
            rule = entry["rule"]
            seen.add(rule["type"])
            if rule["type"] == "delta":
                delta = round(scheme.deltas[entry["kind"]].at(entry["date"]))
                assert rule["kind"] == entry["kind"]
                assert rule["delta"] == delta
                assert rule["path"] == f"schemes.{name}.deltas.{entry['kind']}"
                assert f"= {delta:+d}" in entry["text"]
                if abs(entry["change"]) < abs(delta):
                    assert "limited" in entry["text"]
            elif rule["type"] == "recovery":
                assert (rule["points"], rule["clean_days"]) == (1, 90)
                assert "clean-time recovery" in entry["text"]
        # The changes, from the base, add up to the points the snapshot holds.
        changes = [e for e in explanation.timeline if e["event"] == "points"]
        if changes:
            assert changes[-1]["points_after"] == explanation.snapshot["points"]["points"]
    assert seen >= {"delta", "recovery"}


def test_a_wrongful_listing_is_traced_to_the_record_behind_it(run):
    citizen = int(wrongfully_listed(run)[0])
    timeline = explain(run, citizen).timeline
    listed = [e for e in timeline if e["event"] == "listed"]
    assert listed and any(e["wrongful"] for e in listed)
    listing = next(e for e in listed if e["wrongful"])
    opened = [e for e in timeline if e["event"] == "case_opened" and e["date"] <= listing["date"]]
    assert opened[-1]["wrongful"] and opened[-1]["kind"] == listing["kind"]
    assert any(
        e["event"] == "wrongful_record" and e["date"] == opened[-1]["date"] for e in timeline
    )
    # Reason, amount and grace period: the case came due, then the grace in force passed.
    assert listing["grace_days"] is not None and listing["due"] is not None
    assert listing["date"] >= listing["due"] + dt.timedelta(days=listing["grace_days"])
    assert listing["amount"] == pytest.approx(opened[-1]["amount"], rel=1e-5)
    assert "wrongful" in listing["text"] and listing["kind"] in listing["text"]


def test_closed_cases_say_why(run, log):
    citizen = next(c for c, rows in log.items() if any(r[1] == "case_closed" for r in rows))
    closed = [e for e in explain(run, citizen).timeline if e["event"] == "case_closed"]
    assert closed and all(e["reason"] in lib.EXIT_TEXT for e in closed)


def test_moves_name_the_new_province(run, log):
    citizen = next(c for c, rows in log.items() if any(r[1] == "moved" for r in rows))
    moves = [e for e in explain(run, citizen).timeline if e["event"] == "moved"]
    assert moves[-1]["province"] == citizens(run, "province")["province"][citizen]


# --------------------------------------------------------------------------------------------
# Attributes and snapshot


def test_attributes_and_snapshot_come_from_the_citizens_row(run):
    citizen = int(wrongfully_listed(run)[0])
    row = run.query("SELECT * FROM citizens WHERE id = ?", [citizen]).to_pylist()[0]
    result = explain(run, citizen)
    assert result.attributes["who"]["age"] == row["age"]
    assert result.attributes["where"]["hukou"] == row["hukou"]
    assert result.attributes["money"]["wealth"] == pytest.approx(row["wealth"])
    assert result.attributes["who"]["employment"] == lib.EMPLOYMENT_TIERS[row["employment"]]
    court = result.snapshot["court"]
    assert court["listed"] and court["wrongful_listings"] == row["wrongful_listings"]
    assert court["listed_since"] == dt.date(2014, 1, 1) + dt.timedelta(days=row["listed_since"])
    # The measures in force are the flags that are set, with their `when` text and effects.
    measures = run.manifest["scenario"]["measures"]
    flags = {c.removeprefix("sanction_") for c, v in row.items() if c.startswith("sanction_") and v}
    applied = result.snapshot["sanctions"] + result.snapshot["rewards"]
    assert {m["name"] for m in applied} == flags and "flight_ban" in flags
    for m in applied:
        assert m["when"] == measures[m["name"]]["when"]
        written = measures[m["name"]]["effects"]  # plain numbers: one value from 1900
        assert m["effects"] == {k: v["values"]["1900-01-01"] for k, v in written.items()}
    assert {m["name"] for m in result.snapshot["rewards"]} <= {
        "heating_discount",
        "deposit_free_services",
    }
    assert result.snapshot["other"] == {}  # every column has its place


def test_without_an_event_log_the_snapshot_says_what_is_missing(run_without_events):
    result = explain(run_without_events, 3)
    assert result.timeline is None
    assert "--events" in result.notes[0]
    assert result.snapshot["points"]["points"] is not None
    text = CliRunner().invoke(cli(), ["explain", str(run_without_events.path), "3"])
    assert text.exit_code == 0, text.output
    assert "no event log" in text.output and "--events" in text.output


def test_the_text_says_synthetic_and_shows_rules_and_listing(run):
    citizen = int(wrongfully_listed(run)[0])
    result = CliRunner().invoke(cli(), ["explain", str(run.path), str(citizen)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # as read, whatever the width
    assert f"Citizen {citizen}" in out and "not a real person" in out
    for text in (
        "Timeline",
        "LISTED",
        "not theirs",
        "(rule rongcheng_points.deltas.",
        "Sanctions",
        "flight_ban",
        "when listed",
    ):
        assert text in out, text


# --------------------------------------------------------------------------------------------
# --pick


def test_pick_finds_the_first_listed_and_wrongful_citizen(run):
    expected = wrongfully_listed(run)
    assert expected.size >= 2, "the fixture run should hold wrongful listings"
    first = pick(run, "listed and wrongful")
    assert (first.citizen, first.matches, first.nth) == (expected[0], expected.size, 1)
    assert pick(run, "listed and wrongful", nth=2).citizen == expected[1]
    count = run.query(
        "SELECT count(*) AS n FROM citizens WHERE listed AND wrongful_listings > 0"
    ).column("n")[0]
    assert first.matches == count.as_py()


def test_pick_reads_categories_as_ordered_levels_and_numbers(run):
    c = citizens(run, "hukou", "age", "grade", "scored")
    chosen = pick(run, "hukou == 'rural' and age >= 60 and grade <= 'B'")
    mask = (c["hukou"] == "rural") & (c["age"] >= 60) & np.isin(c["grade"], ["D", "C", "B"])
    assert chosen.citizen == c["id"][mask][0] and chosen.matches == mask.sum()


def test_conveniences_are_defined_in_the_rule_language(run):
    c = citizens(run, "ever_trapped", "wrongful_records", "n_listings")
    for name, column in (
        ("misrecorded", c["wrongful_records"] > 0),
        ("ever_listed", c["n_listings"] > 0),
    ):
        assert pick(run, name).matches == column.sum()
    vocabulary = pick_vocabulary({"wrongful": Bool(), "wrongful_listings": Number()}, None)
    assert "wrongful" not in vocabulary  # a column of that name wins
    assert "trapped" not in vocabulary  # no ever_trapped column to define it
    measures = run.manifest["scenario"]["measures"]
    flags = {f"sanction_{m}": Bool() for m in measures}
    vocabulary = pick_vocabulary(flags, run.scenario)
    assert "sanction_flight_ban" in vocabulary["sanctioned"][0].source
    rewards = vocabulary["rewarded"][0].source
    assert rewards == "sanction_heating_discount or sanction_deposit_free_services"
    assert pick(run, "moved").matches == (citizens(run, "n_relocation")["n_relocation"] > 0).sum()
    for name in [*lib.CONVENIENCES, lib.MOVED, lib.SANCTIONED, lib.REWARDED]:
        assert name in PICK_HELP  # the help lists the whole vocabulary


def test_pick_reports_no_match_and_a_bad_expression_with_its_position(run):
    with pytest.raises(NoMatch, match="no citizen of this run matches"):
        pick(run, "age > 500")
    with pytest.raises(NoMatch, match="--nth 100000 is past the last"):
        pick(run, "listed", nth=100_000)
    with pytest.raises(ExplainError, match="did you mean 'wrongful'") as caught:
        pick(run, "listed and wrongfull")
    assert str(caught.value).splitlines()[-1] == "  " + " " * len("listed and ") + "^"


# --------------------------------------------------------------------------------------------
# JSON and the command line


def cli() -> click.Group:
    @click.group()
    def main() -> None:
        pass

    main.add_command(explain_command)
    return main


def test_json_round_trips(run, log):
    citizen = int(wrongfully_listed(run)[0])
    result = CliRunner().invoke(
        cli(), ["explain", str(run.path), "--pick", "listed and wrongful", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {**document, "picked": None} == json.loads(explain(run, citizen).to_json())
    assert document["citizen"] == citizen and document["synthetic"] is True
    assert document["picked"]["expression"] == "listed and wrongful"
    assert set(document) >= {"attributes", "timeline", "snapshot", "run", "notes"}
    assert len(document["timeline"]) == len(log[citizen])
    assert document["timeline"][0]["date"] == log[citizen][0][0].isoformat()


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["{missing}", "3"], "no run at", 2),
        (["{incomplete}", "3"], "status is 'incomplete'", 2),
        (["{truncated}", "3"], "the file was changed or truncated", 2),
        (["{run}", "5000"], "out of range: this run has 5,000 agents, ids 0 to 4999", 2),
        (["{run}", "--", "-1"], "ids 0 to 4999", 2),
        (["{run}", "--pick", "listed and wrongfull"], "did you mean 'wrongful'?\n", 2),
        (["{run}", "--pick", "age + 1"], "expected a true/false condition", 2),
        (["{run}", "--pick", "age > 500"], "no citizen of this run matches", 1),
        (["{run}", "3", "--pick", "listed"], "not both", 2),
        (["{run}"], "give a CITIZEN id, or --pick", 2),
        (["{run}", "three"], "is not a valid integer", 2),
    ],
)
def test_bad_input_exits_with_a_message_and_no_traceback(run, tmp_path, args, message, code):
    incomplete = tmp_path / "incomplete"
    shutil.copytree(run.path, incomplete)
    manifest = json.loads((incomplete / "manifest.json").read_text())
    manifest["status"] = "incomplete"
    (incomplete / "manifest.json").write_text(json.dumps(manifest))
    truncated = tmp_path / "truncated"
    shutil.copytree(run.path, truncated)
    events = truncated / "events.parquet"
    events.write_bytes(events.read_bytes()[:-100])
    paths = {
        "missing": tmp_path / "nowhere",
        "incomplete": incomplete,
        "truncated": truncated,
        "run": run.path,
    }
    result = CliRunner().invoke(cli(), ["explain", *(a.format(**paths) for a in args)])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --------------------------------------------------------------------------------------------
# Pieces


def test_the_employment_tiers_agree_with_the_census():
    from scsim.population.census import EMPLOYMENT_TIERS

    assert lib.EMPLOYMENT_TIERS == EMPLOYMENT_TIERS


def test_explaining_one_citizen_never_reads_a_whole_table(run, monkeypatch):
    def whole_table(*args, **kwargs):
        raise AssertionError("explain read a whole table")

    monkeypatch.setattr(lib.pq, "read_table", whole_table)
    monkeypatch.setattr(run, "citizens", whole_table)
    monkeypatch.setattr(run, "events", whole_table)
    assert explain(run, POPULATION - 1).citizen == POPULATION - 1


def test_runs_of_clean_time_recovery_fold_into_one_line():
    from scsim.cli.explain import _folded

    def recovery(day):
        return {
            "date": dt.date(2015, 1, day),
            "what": "points",
            "kind": "recovery",
            "change": 1,
            "points_after": 1000 + day,
            "grade_after": "A",
            "text": "+1",
        }

    event = {"date": dt.date(2015, 1, 9), "what": "event", "kind": "jaywalking", "text": "x"}
    lines = _folded([recovery(1), recovery(2), recovery(3), event, recovery(10), recovery(11)])
    assert [date for date, _ in lines] == ["2015-01-01", "2015-01-09", "2015-01-10", "2015-01-11"]
    folded = lines[0][1]
    assert folded["change"] == 3
    assert "3 times in a row to 2015-01-03 → 1003 (A)" in folded["text"]


def test_list_joins_are_logged_and_explained(tmp_path):
    """A black or red list's joins are event-log rows (written at the epoch's end), one per
    listing counted in citizens.parquet, and the timeline names the list, its rule and term."""
    scenario = scsim.load("national-documented").configured(start=dt.date(2018, 1, 1))
    run = scsim.simulate(scenario, population=20_000, days=200, out=tmp_path, events=True)
    events = pq.read_table(run.path / "events.parquet").to_pandas()
    joins = events[events["event"] == "list_joined"]
    people = pq.read_table(run.path / "citizens.parquet").to_pandas()
    lists = [c.removeprefix("listings_") for c in people.columns if c.startswith("listings_")]
    assert len(joins) and set(joins["kind"]) <= set(lists)
    for name in lists:  # one row per listing, on the listed citizens
        logged = joins[joins["kind"] == name]["citizen"].value_counts()
        listed = people[f"listings_{name}"]
        assert logged.sum() == listed.sum()
        assert (listed[logged.index] == logged).all()
    row = joins.iloc[0]
    entry = next(e for e in explain(run, int(row["citizen"])).timeline
                 if e["event"] == "list_joined")  # fmt: skip
    spec = scenario.spec.schemes[row["kind"]]
    assert entry["list"] == row["kind"] and entry["red"] == (spec.kind == "redlist")
    assert entry["until"] == dt.date(2018, 1, 1) + dt.timedelta(days=int(row["value"]))
    assert (
        f"at least {spec.threshold.at(spec.jurisdiction.start or dt.date.max):g} record"
        in entry["text"]
    )
