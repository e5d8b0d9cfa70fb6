"""Render the scenario format reference (docs/scenario-reference.md) from the schema itself.

    python -m scsim.scenario.reference > docs/scenario-reference.md

Keys, types, defaults and constraints come from the pydantic models in
:mod:`scsim.scenario.schema`; the expression sites and their vocabularies from the mechanisms
(:func:`scsim.mechanisms.expressions.expression_sites`); the metric names a calibration target
may name from :class:`scsim.engine.metrics.MetricsRecorder`. Only the prose lives here, in the
tables below, and :func:`undocumented` names every key or name that has none, so a new schema
field cannot reach the reference without a description (tests/test_docs.py checks both).
"""

from __future__ import annotations

import datetime as dt
import sys
import types
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from scsim.core.limits import MAX_BANDS, MAX_LISTS, MAX_RIGHTS
from scsim.core.metrics import metric_vocabulary
from scsim.scenario import schema as s
from scsim.scenario.yamlpos import FOLDER_ENTRY, INCLUDE_KEY

REGENERATE = "python -m scsim.scenario.reference > docs/scenario-reference.md"

# ---------------------------------------------------------------------------------------------
# Prose: one line per model and per field, keyed by model and field name.

MODEL_TITLES: dict[type[BaseModel], str] = {
    s.ScenarioSpec: "Scenario",
    s.World: "World",
    s.PopulationSpec: "Population",
    s.GraphSpec: "Friendship graph",
    s.Behaviour: "Behaviour",
    s.Event: "Event",
    s.Heterogeneity: "Heterogeneity",
    s.Deterrence: "Deterrence",
    s.Habituation: "Habituation",
    s.Amount: "Amount",
    s.Observation: "Observation",
    s.Source: "Source",
    s.PointsScheme: "Points scheme",
    s.Recovery: "Recovery",
    s.Consent: "Consent",
    s.Jurisdiction: "Jurisdiction",
    s.CourtList: "Court list",
    s.NoAssetsRule: "No-assets rule",
    s.CompositeScore: "Composite score",
    s.Dimension: "Composite dimension",
    s.Term: "Composite term",
    s.Adoption: "Adoption",
    s.TieDropping: "Tie dropping",
    s.ListScheme: "Black or red list",
    s.Measure: "Measure",
    s.Effects: "Effects",
    s.Economy: "Economy",
    s.Hukou: "Hukou",
    s.Right: "Hukou right",
    s.Conversion: "Hukou conversion",
    s.Target: "Calibration target",
    s.Reform: "Reform",
    s.Setting: "Reform setting",
    s.Param: "Dated parameter",
    s.Reference: "Reference",
}

MODEL_DOCS: dict[type[BaseModel], str] = {
    s.ScenarioSpec: "The top level of a scenario file.",
    s.World: "The horizon, the seed, the synthetic population and the epoch length.",
    s.PopulationSpec: (
        "The synthetic population, drawn from 2020 census marginals (see "
        "[modelling.md](modelling.md#population))."
    ),
    s.GraphSpec: (
        "The friendship network, built with the population when this key is present. Each "
        "citizen draws a target number of ties from a heavy-tailed (Pareto) law; each tie is "
        "drawn with homophily, preferring partners of the same province, hukou type and income "
        "quintile. Ties are undirected and change during a run only when composite-score users "
        "drop low scorers (`ties`). The `friends` variable and a composite score's "
        "`friends.score` and `friends.count` inputs read it. A run stops before building a graph "
        "that needs more than half the free memory."
    ),
    s.Behaviour: "What citizens do: the event catalogue.",
    s.Event: (
        "One kind of event. A citizen's daily probability is base × heterogeneity × modifier × "
        "eligible × (1 − sensitivity × detection) × (points / base) ^ exponent; at most one "
        "event of a kind per citizen per day."
    ),
    s.Heterogeneity: (
        "A per-citizen multiplier of the event probability, drawn once per citizen and kind "
        "from Gamma(shape, scale) and clipped."
    ),
    s.Deterrence: "How a citizen's own standing damps the event.",
    s.Habituation: (
        "Fear of losing points fades. From the day the points scheme starts (its "
        "`jurisdiction.from`, the run's start when not set, or its earliest `rollout` date if "
        "that is earlier), the event's `points_exponent` is multiplied by floor + (1 − floor) × "
        "0.5 ^ (days since / `half_life_days`), updated at each epoch start. It has no effect "
        "without a points scheme and does not touch `detection_sensitivity`."
    ),
    s.Amount: "A money amount in yuan, log-normal: median × exp(sigma × z), z standard normal.",
    s.Observation: "What the authorities record, from which sources, and on whom.",
    s.Source: (
        "A data source (police cameras, courts, banks, platforms, network monitoring). The "
        "chance that it records an event where a citizen lives is `coverage` × `rollout` × "
        "`sharing` × the `intensity` factor of each group flag the citizen has, at most 1, per "
        "province and cell. A source acts only on the event kinds whose `detection` lists it; "
        "its dated values take effect on their dates (each change starts an epoch)."
    ),
    s.PointsScheme: (
        "A municipal points scheme (Rongcheng-style): everyone covered starts at `base`, "
        "recorded events add their `deltas`, clean time earns `recovery`, points stay within "
        "[`floor`, `cap`] and fall into `grades`."
    ),
    s.Recovery: "Points regained for clean time.",
    s.Consent: "Whether scoring needs consent, and the (dated) share of residents who give it.",
    s.Jurisdiction: (
        "Where and when a scheme runs, how much of each province it covers, and how far its "
        "verdicts reach. Who it reaches is decided at each epoch start (for a black or red list, "
        "who may join also at each epoch end). Whether a citizen lives in a covered place is one "
        "draw per citizen and scheme, compared with the `coverage` in force, so a mover keeps "
        "their draw and a growing coverage adds people without dropping any."
    ),
    s.CourtList: (
        "The courts' list of dishonest judgment debtors: a fine or judgment opens a case; an "
        "unpaid case is listed after a grace period and leaves the list on payment, term "
        "expiry, a no-assets finding or (before the list is national) a move to another province."
    ),
    s.NoAssetsRule: "Removal of listed debtors who have no executable property.",
    s.CompositeScore: (
        "A private composite score (Sesame Credit style). Each dimension is a sub-score in "
        "[0, 1]; the score is low + (high − low) × Σ weight × dimension / `weights_sum`, rounded "
        "to a whole number, over `range` = [low, high]. It is computed at the start of the run "
        "and recomputed at every epoch end, for users only: citizens who are `eligible`, opted "
        "in (see `adoption`) and reached by the `jurisdiction`. Measures read it by the "
        "scheme's name, as an ordinal over the `bands` (`sesame >= 'good'`), never true for a "
        "non-user; the `user` and `score` variables read it in the other expressions."
    ),
    s.Dimension: (
        "A sub-score in [0, 1]: clip(`baseline` + the sum of its terms, 0, 1). As every "
        "transform is increasing, a dimension rises with each input whose `effect` is positive "
        "and falls with each whose `effect` is negative."
    ),
    s.Term: (
        "One input of a dimension: `effect` × transform(input / `scale`), the input taken as at "
        "the recomputation (negative inputs count as 0)."
    ),
    s.Adoption: (
        "Who uses the score: it is opt-in, so among the `eligible` a dated `share` are users "
        "(and only where the scheme's jurisdiction reaches)."
    ),
    s.TieDropping: (
        "Users' network response: a score that rewards selective relations leads users to drop "
        "ties to friends who score low. Decided at every epoch end, after the scores are "
        "recomputed; a tie goes when either end drops it. Needs `world.population.graph` (without "
        "it, nothing happens)."
    ),
    s.ListScheme: (
        "A sectoral black list (`blacklist`: tax violators, rail passengers who misbehave, ...) "
        "or a red list of model citizens (`redlist`: volunteers, donors, award winners), kept "
        "from records. At every epoch end, black lists first and red lists after, a citizen "
        "joins who is not on the list, for whom `applies_to` holds, who lives where the list's "
        "jurisdiction covers and is on no list it `excludes`, and who has at least `threshold` "
        "records of the `records` kinds in the current calendar year; they stay on it for "
        "`term_days`. Measures read membership by the scheme's name."
    ),
    s.Measure: (
        "A sanction or reward. Its `when` condition is looked up for each citizen at every epoch "
        "start and its effects hold for the whole epoch."
    ),
    s.Effects: "What a measure does while it applies (several measures combine).",
    s.Economy: "Income, saving and debt, advanced at every epoch end.",
    s.Hukou: (
        "Public services tied to the place of hukou registration, and the rules by which "
        "migrants obtain a local urban hukou."
    ),
    s.Right: (
        "A public service tied to the hukou place (public schooling, health insurance, a "
        "pension). At each epoch start, a citizen for whom `needs` holds and `access` does not "
        "lacks it for the epoch, and pays `monthly_cost` from wealth instead (private school, "
        "out-of-pocket care), alongside the measures' costs."
    ),
    s.Conversion: (
        "A conversion rule: at each epoch end, a migrant living in one of its `provinces` for "
        "whom `requires` holds obtains, with `annual_probability` scaled to the epoch's length, "
        "an urban hukou of the province where they live, and stops being a migrant. Where "
        "several rules apply to a citizen, the highest probability counts (one draw per citizen "
        "and epoch)."
    ),
    s.Target: (
        "A calibration target: the unweighted mean of a time-series metric over a period, "
        "checked against [low, high] and stored in manifest.json under `calibration`."
    ),
    s.Reform: (
        "A named reform: dated values overlaid on the scenario's parameters, giving a new "
        "scenario (`scsim run NAME --reform REFORM`, `Scenario.reform('REFORM')`)."
    ),
    s.Setting: "One overlay of a reform.",
    s.Param: (
        "A number with dated values, a label, a unit and references. Write either a plain "
        "number (in force at all times) or a mapping with these keys. A value holds from its "
        "date until the next one; `null` repeals (nothing is in force from that date, and "
        "nothing is before the first date; the mechanisms then use 0, except where a key says "
        "otherwise). Every date on which a value changes starts a new epoch, so the new value "
        "takes effect on its own day. Numbers written in quotes are errors. The key that holds "
        "a parameter gives the range of its values in the Allowed column (`null` is always "
        "allowed)."
    ),
    s.Reference: "A source for a value.",
}

FIELD_DOCS: dict[tuple[type[BaseModel], str], str] = {
    # Scenario
    (s.ScenarioSpec, "name"): (
        "Scenario name; names the run directory `<name>-<hash8>-s<seed>`. A reform appends "
        "`-<reform>`."
    ),
    (s.ScenarioSpec, "title"): "One-line title, shown by `scsim scenarios` and in the manifest.",
    (s.ScenarioSpec, "description"): "What the scenario models, in prose.",
    (s.ScenarioSpec, "world"): "Horizon, seed, population and epoch length.",
    (s.ScenarioSpec, "behaviour"): "The event catalogue.",
    (s.ScenarioSpec, "observation"): "Data sources, detection probabilities and misattribution.",
    (s.ScenarioSpec, "schemes"): (
        "The schemes in force by name; `kind` picks the sort. At most one `points`, one "
        f"`court_list` and one `composite` scheme, and at most {MAX_LISTS} `blacklist` or "
        "`redlist` schemes. Measures and a list's `excludes` refer to lists and the composite "
        "score by these names."
    ),
    (s.ScenarioSpec, "measures"): "Sanctions and rewards by name; at most 15.",
    (s.ScenarioSpec, "parameters"): (
        "Free parameters by name, each a dated parameter with its references: a number that "
        "rules use (`p.parameters.<name>` in any expression, at its value on the start date) "
        "and reforms can set, such as the strength of a red list's showcasing effect."
    ),
    (s.ScenarioSpec, "economy"): "Saving, income growth and debt.",
    (s.ScenarioSpec, "hukou"): (
        "Public services tied to the hukou place, and hukou conversion; not set means neither."
    ),
    (s.ScenarioSpec, "calibration"): "Targets the run is compared against, by name.",
    (s.ScenarioSpec, "reforms"): "Named reforms of this scenario.",
    # World
    (s.World, "start"): "First simulated day.",
    (s.World, "end"): (
        "Last simulated day (inclusive): after `start` and at most 32,000 days later (day "
        "indices are int16). `scsim run --until/--days` may stop earlier."
    ),
    (s.World, "seed"): "Seed of every random draw; `scsim run --seed` overrides it.",
    (s.World, "population"): "The synthetic population.",
    (s.World, "epoch"): (
        "Synchronisation period. Epochs start on the first day of each calendar month, quarter "
        "or year, and on every date a dated value changes. Measures, court enforcement, the "
        "economy and the epoch metrics advance once per epoch. A scenario in which "
        "misattribution can happen runs in monthly epochs whatever this says (its records are "
        "delivered in the next calendar month)."
    ),
    # Population
    (s.PopulationSpec, "agents"): "Agents simulated; `scsim run --population/-n` overrides it.",
    (s.PopulationSpec, "provinces"): (
        "Provinces of residence to draw citizens from, by 2020 census population; not set means "
        "all 31."
    ),
    (s.PopulationSpec, "real_population"): (
        "Real persons the agents stand for (default: the 2020 census population of the chosen "
        "provinces). Counts in timeseries.parquet are multiplied by real_population / agents."
    ),
    (s.PopulationSpec, "graph"): (
        "The friendship network; not set means none (then `friends` reads 0 and a composite "
        "score's `friends.*` inputs read as no friends)."
    ),
    # Friendship graph
    (s.GraphSpec, "mean_degree"): (
        "Target mean number of ties per citizen. The realised mean is a little lower (self-picks "
        "and repeated pairs are dropped), most so in small populations. Not above `max_degree` "
        "(checked when the graph is built)."
    ),
    (s.GraphSpec, "tail"): (
        "Exponent of the degree law: the share of citizens with d ties falls as d ^ −tail. "
        "Lower values give more hubs; friendship and contact networks show 2 to 3."
    ),
    (s.GraphSpec, "max_degree"): (
        "Cap on a citizen's target number of ties; a realised degree can exceed it by a few "
        "times √max_degree."
    ),
    (s.GraphSpec, "homophily_province"): (
        "Probability that a tie not kept within the cell (see `homophily_cell`) is still drawn "
        "from the citizen's province of residence; otherwise the partner comes from the whole "
        "population."
    ),
    (s.GraphSpec, "homophily_cell"): (
        "Probability that a tie is drawn from the citizen's own cell: same province of "
        "residence, hukou type (rural or urban) and income quintile (minors count in the "
        "lowest)."
    ),
    (s.GraphSpec, "reference"): "Sources for the network's parameters.",
    # Behaviour
    (s.Behaviour, "events"): (
        "Event kinds by name; `deltas`, `detection` and the metrics refer to these names."
    ),
    # Event
    (s.Event, "label"): "Human-readable description.",
    (s.Event, "daily_probability"): (
        "Base probability per citizen per day. Give this or `annual_rate`."
    ),
    (s.Event, "annual_rate"): (
        "Base events per citizen per year, used as the daily probability "
        "1 − exp(−rate / 365.25). Give this or `daily_probability`."
    ),
    (s.Event, "modifier"): (
        "Number expression over citizen attributes that multiplies the base probability "
        "(negative results count as 0)."
    ),
    (
        s.Event,
        "eligible",
    ): "Condition over citizen attributes; where false the event never happens.",
    (s.Event, "heterogeneity"): "Per-citizen multiplier; not set means 1 for everyone.",
    (s.Event, "deterrence"): "Damping by the citizen's points and the local detection rate.",
    (s.Event, "consequence"): (
        "`fine` and `judgment` open a court case (when the scenario has a court list) for an "
        "amount drawn from `amount`; `move` moves the citizen to another province; `none` has "
        "no direct consequence."
    ),
    (s.Event, "amount"): "Amount of the fine or judgment; required for `fine` and `judgment`.",
    (s.Event, "pay_within_days"): "Days to pay a new case voluntarily.",
    (s.Event, "reference"): "Sources for the event as a whole.",
    # Heterogeneity
    (s.Heterogeneity, "shape"): "Gamma shape k (the mean is k × scale).",
    (s.Heterogeneity, "scale"): "Gamma scale θ.",
    (s.Heterogeneity, "clip"): "[low, high] bounds applied after the draw.",
    # Deterrence
    (s.Deterrence, "points_exponent"): (
        "e in (points / base) ^ e, applied while the citizen is scored; 0 switches it off. "
        "Without a `cap` the factor cannot exceed 1. `habituation` lowers it over time."
    ),
    (s.Deterrence, "detection_sensitivity"): (
        "s in (1 − s × detection), with the detection probability of the citizen's province "
        "and cell (re-evaluated every 1 January)."
    ),
    (s.Deterrence, "habituation"): (
        "Fading of `points_exponent` after the points scheme starts; not set means none."
    ),
    # Habituation
    (s.Habituation, "half_life_days"): (
        "Days in which the part of the exponent above the floor halves."
    ),
    (s.Habituation, "floor"): (
        "Share of the exponent that never fades: 0 lets deterrence by points vanish in time, 1 "
        "means no habituation."
    ),
    # Amount
    (s.Amount, "median"): "Median in yuan (the value in force at the epoch start).",
    (s.Amount, "sigma"): "Standard deviation of log(amount); 0 gives the median exactly.",
    # Observation
    (s.Observation, "sources"): (
        "Data sources by name, for `detection` to list. A source that no `detection` entry "
        "lists has no effect."
    ),
    (s.Observation, "detection"): (
        "Per event kind, the probability that an occurrence is recorded: a number from 0 to 1, "
        "a number expression over the detection variables, or a list of source names from "
        "`sources` (recorded when any of them records it: 1 − the product of 1 − each "
        "source's chance). Kinds not listed are always recorded."
    ),
    (s.Observation, "misattribution"): (
        "Probability that a recorded event is attached to a randomly drawn adult instead of "
        "the offender (delivered during the next epoch)."
    ),
    # Source
    (s.Source, "label"): "Human-readable name.",
    (s.Source, "coverage"): (
        "Chance of recording where the source is fully deployed: a number from 0 to 1, or a "
        "number expression over the detection variables (cameras in cities, fewer in villages); "
        "checked to give a probability in every province and cell."
    ),
    (s.Source, "rollout"): ("How far deployment has got (a share, dated); multiplies `coverage`."),
    (s.Source, "sharing"): (
        "Share of the source's records that reach the authorities (dated); multiplies "
        "`coverage`. Below 1 for companies that resist pooling their data."
    ),
    (s.Source, "intensity"): (
        "Group-targeted monitoring: group flag (`urban`, `hukou_urban`, `migrant`, `minority`, "
        "`has_child`) → factor, from 0 to 1,000, multiplying the chance for citizens with that "
        "flag; the factors of several flags multiply, and the result is capped at 1."
    ),
    (s.Source, "reference"): "Sources for the data source as a whole.",
    # Points scheme
    (s.PointsScheme, "kind"): "Selects this scheme type.",
    (s.PointsScheme, "label"): "Human-readable name.",
    (s.PointsScheme, "base"): (
        "Starting points (the value on the start date); the value in force is the denominator "
        "of deterrence."
    ),
    (s.PointsScheme, "cap"): (
        "Highest attainable points; not set (or repealed) means no cap (points then stop at 30,000), which deterrence by points does not allow. Not below `base` on the "
        "start date."
    ),
    (s.PointsScheme, "floor"): "Lowest attainable points.",
    (s.PointsScheme, "deltas"): (
        "Points change per recorded event of each kind; a negative delta also restarts the "
        "clean-day count. Names must be events of `behaviour.events`."
    ),
    (s.PointsScheme, "local_deltas"): (
        "Per province, deltas that replace the scheme's own for citizens living there when the "
        "record lands (the central framework leaves the catalogue of rewards and penalties to "
        "each place): province → event → points. Names must be provinces and events."
    ),
    (s.PointsScheme, "recovery"): "Points for clean time; not set means none.",
    (s.PointsScheme, "grades"): (
        "Grade bands, lowest first: name → lowest points of the band. At least two, strictly "
        "increasing. Points below the first bound count as the lowest grade. Measures compare "
        "`grade` with these names."
    ),
    (s.PointsScheme, "applies_to"): (
        "Condition over citizen attributes deciding who is covered (re-evaluated at each epoch "
        "start)."
    ),
    (s.PointsScheme, "consent"): "Whether scoring needs consent.",
    (s.PointsScheme, "jurisdiction"): (
        "Where and when the scheme is in force, and its reach (`scope: local` unless set)."
    ),
    (s.PointsScheme, "reference"): "Sources for the scheme as a whole.",
    # Recovery
    (s.Recovery, "clean_days"): (
        "Length of a clean run: each full run of this many days without a deduction earns `points`."
    ),
    (s.Recovery, "points"): "Points earned per completed clean run (up to the cap).",
    # Consent
    (
        s.Consent,
        "required",
    ): "If true, only consenting citizens are scored; records are kept anyway.",
    (s.Consent, "share"): (
        "Share of citizens who consent, in force at each epoch start. Willingness is one draw "
        "per citizen, so whoever consents at a lower share also consents at a higher one."
    ),
    # Jurisdiction
    (s.Jurisdiction, "provinces"): (
        "Provinces that run the scheme, from `from` or from their own `rollout` date. Not set "
        "means all 31 — or, when `rollout` is given, only the provinces it names."
    ),
    (s.Jurisdiction, "start"): (
        "First day in force in the provinces that have no `rollout` date (inside the horizon); "
        "not set means the start of the run."
    ),
    (s.Jurisdiction, "until"): (
        "First day no longer in force anywhere, whatever the scope (inside the horizon); not "
        "set means never."
    ),
    (s.Jurisdiction, "rollout"): (
        "Province → the first day the scheme runs there (inside the horizon), instead of "
        "`from`. A province named here runs the scheme even if `provinces` leaves it out."
    ),
    (s.Jurisdiction, "coverage"): (
        "Share of a running province's residents who live in a place that runs the scheme (the "
        "cities that chose it), in force at each epoch start; not set means all of them. "
        "Ignored with `scope: provincial`."
    ),
    (s.Jurisdiction, "scope"): (
        "How far the scheme reaches a citizen (scores them, counts them as a user, or lets "
        "their list membership trigger measures): `local` — only while they live in a covered "
        "place; `provincial` — while they live anywhere in a province that runs it; `national` "
        "— once covered somewhere, wherever they live, until `until`. Joining a black or red "
        "list always needs living in a covered place; the scope decides where membership "
        "reaches the measures."
    ),
    # Court list
    (s.CourtList, "kind"): "Selects this scheme type.",
    (s.CourtList, "label"): "Human-readable name.",
    (s.CourtList, "list_from"): (
        "The list exists from this date; unpaid cases due for listing earlier wait for it."
    ),
    (s.CourtList, "national_from"): (
        "Enforcement is national from this date; before it, a citizen with an open case who "
        "moves province escapes the case. Not before `list_from`."
    ),
    (s.CourtList, "grace_days"): (
        "Days between the end of the voluntary payment period and publication on the list."
    ),
    (s.CourtList, "list_probability"): (
        "Probability that an unpaid case past its grace period is listed; otherwise it stays "
        "in unlisted enforcement."
    ),
    (s.CourtList, "min_listing_amount"): "Cases owing less than this many yuan are never listed.",
    (s.CourtList, "term_days"): (
        "Listing term in days; where repealed (`null`), listings made then never expire."
    ),
    (s.CourtList, "repeat_extension_days"): (
        "Added to the term for each earlier listing of the same citizen."
    ),
    (s.CourtList, "pay_if_able"): (
        "Probability that a citizen whose liquid wealth covers the amount pays on the due day."
    ),
    (s.CourtList, "monthly_payment_propensity"): (
        "Probability, on the first day of each month, that an unpaid debtor who can pay does "
        "so; the measures' `pay_pressure` adds to it."
    ),
    (s.CourtList, "no_assets"): "Removal of listed debtors without executable property.",
    (s.CourtList, "reference"): "Sources for the list as a whole.",
    # No-assets rule
    (s.NoAssetsRule, "enabled"): "Whether courts remove listed debtors who cannot pay.",
    (s.NoAssetsRule, "after_days"): "Days on the list before a removal is possible.",
    (s.NoAssetsRule, "monthly_probability"): (
        "Probability, on the first day of each month, that a listed debtor whose wealth is "
        "below the amount owed is removed."
    ),
    # Composite score
    (s.CompositeScore, "kind"): "Selects this scheme type.",
    (s.CompositeScore, "label"): "Human-readable name.",
    (s.CompositeScore, "range"): (
        "[low, high]: the lowest and highest score, each from 0 to 30,000, low below high "
        "(Sesame Credit: [350, 950])."
    ),
    (s.CompositeScore, "weights_sum"): (
        "The sum of the dimensions' weights, declared so that a mistyped weight is caught when "
        "loading; the weighted sum is divided by it."
    ),
    (s.CompositeScore, "dimensions"): "Sub-scores by name; at least one.",
    (s.CompositeScore, "bands"): (
        "Perk bands, lowest first: name → lowest score of the band, each within `range`. At "
        f"least two and at most {MAX_BANDS}, strictly increasing. A score below the first bound "
        "counts as the lowest band. Measures compare the scheme's name with these names."
    ),
    (s.CompositeScore, "adoption"): "Who uses the score.",
    (s.CompositeScore, "ties"): (
        "Users dropping ties to low-scoring friends; not set means none. Needs "
        "`world.population.graph`."
    ),
    (s.CompositeScore, "jurisdiction"): (
        "Where and when the score runs. Unlike a points scheme's, the scope is `national` "
        "unless set: once a user, scored wherever they move."
    ),
    (s.CompositeScore, "reference"): "Sources for the score as a whole.",
    # Composite dimension
    (s.Dimension, "label"): "Human-readable description.",
    (s.Dimension, "weight"): (
        "Weight of the dimension in the score; the weights must add up to `weights_sum`."
    ),
    (s.Dimension, "baseline"): "Sub-score before the terms.",
    (s.Dimension, "terms"): "Inputs added to the baseline; none gives everyone the baseline.",
    (s.Dimension, "reference"): "Sources for the dimension.",
    # Composite term
    (s.Term, "input"): (
        "What the term reads (checked when loading): a [citizen attribute]"
        "(#citizen-attributes) other than `province` (true/false as 1/0); `records.<event>`, the "
        "citizen's records of that event kind per year over the run so far (divided by at "
        "least one year); `friends.score`, the mean score of the user's friends who are users, "
        "mapped from `range` to [0, 1] (0.5 with none, or without a friendship graph); or "
        "`friends.count`, the number of friends (0 without a graph)."
    ),
    (s.Term, "effect"): (
        "Signed size of the term, from −10 to 10: positive raises the sub-score as the input "
        "grows, negative lowers it."
    ),
    (s.Term, "transform"): (
        "Of x = input / `scale`: `linear` x, `log` log(1 + x), `saturating` x / (1 + x) "
        "(approaches 1; half at x = 1)."
    ),
    (s.Term, "scale"): "Divides the input before the transform, in the input's own unit.",
    # Adoption
    (s.Adoption, "eligible"): (
        "Condition over citizen attributes: who may use the score (re-evaluated at every "
        "recomputation)."
    ),
    (s.Adoption, "share"): (
        "Share of the eligible who opt in, in force at each recomputation. Willingness is one "
        "draw per citizen, so whoever uses the score at a lower share also uses it at a higher "
        "one."
    ),
    # Tie dropping
    (s.TieDropping, "below"): (
        "A user may drop a friend who is a user scoring below this (non-users are never dropped)."
    ),
    (s.TieDropping, "monthly_probability"): (
        "Probability per month that a user drops a given tie to such a friend, scaled to the "
        "epoch's length."
    ),
    # Black or red list
    (s.ListScheme, "kind"): (
        "`blacklist` or `redlist`. Black lists are updated before red lists (so that a red list "
        "can exclude them) and feed the `blacklisted` variable; red lists feed `red_listed` "
        "and `red_share`."
    ),
    (s.ListScheme, "label"): "Human-readable name.",
    (s.ListScheme, "records"): (
        "Event kinds whose records count (names from `behaviour.events`); records of all of "
        "them add up, misattributed ones included."
    ),
    (s.ListScheme, "threshold"): (
        "Records of the `records` kinds in the current calendar year (counted from 1 January) "
        "that make a citizen join."
    ),
    (s.ListScheme, "term_days"): (
        "Days on the list, counted from the day after the epoch at whose end the citizen joins "
        "(the value in force on that day; a term of 0, or a repealed one, keeps nobody on the "
        "list). A former member joins again at the next epoch end if they still qualify: the "
        "records of the current year that listed them still count."
    ),
    (s.ListScheme, "applies_to"): (
        "Condition over citizen attributes: who may join (evaluated at each epoch end)."
    ),
    (s.ListScheme, "excludes"): (
        "Names of other black or red lists, or of the court list, whose members cannot join "
        "(red lists usually exclude the blacklisted)."
    ),
    (s.ListScheme, "jurisdiction"): (
        "Where and when the list runs. The scope is `national` unless set: a member is reached "
        "wherever they live."
    ),
    (s.ListScheme, "reference"): "Sources for the list as a whole.",
    # Measure
    (s.Measure, "label"): "Human-readable description.",
    (s.Measure, "when"): "Condition over the status variables.",
    (s.Measure, "effects"): "What the measure does while it applies.",
    (s.Measure, "reference"): "Sources for the measure.",
    # Effects
    (s.Effects, "income_factor"): "Multiplies base income (factors of several measures multiply).",
    (s.Effects, "monthly_cost"): "Yuan per month taken from wealth; negative for a discount.",
    (s.Effects, "pay_pressure"): "Added to the court's monthly payment propensity.",
    (s.Effects, "interest_add"): "Added to the annual interest rate on debt.",
    # Economy
    (s.Economy, "savings_rate"): "Share of effective monthly income added to wealth.",
    (s.Economy, "income_growth"): "Annual growth of base income.",
    (s.Economy, "debt_interest"): "Annual interest rate on debt, accrued at each epoch end.",
    (s.Economy, "debt_repayment_share"): (
        "Share of effective monthly income repaid on debt, as far as wealth allows."
    ),
    # Hukou
    (s.Hukou, "rights"): (f"Rights by name; at most {MAX_RIGHTS}."),
    (s.Hukou, "conversion"): "Conversion rules by name.",
    (s.Right, "label"): "Human-readable description.",
    (s.Right, "needs"): (
        "Condition over citizen attributes: who uses the service, e.g. `has_child` for "
        "schooling, `age >= 60` for a pension (evaluated at each epoch start)."
    ),
    (s.Right, "access"): (
        "Condition over citizen attributes: who among them has it, e.g. `local_hukou or "
        "residence_years >= 5` (evaluated at each epoch start)."
    ),
    (s.Right, "monthly_cost"): (
        "Yuan per month paid from wealth by a citizen who needs the right and lacks access "
        "(the value in force at the epoch start)."
    ),
    (s.Right, "reference"): "Sources for the right.",
    (s.Conversion, "label"): "Human-readable description.",
    (s.Conversion, "provinces"): (
        "Provinces of residence where the rule applies; not set means every province that no "
        "other rule names."
    ),
    (s.Conversion, "requires"): (
        "Condition over citizen attributes that a migrant must meet, e.g. `residence_years >= 5 "
        "and employment >= 2` (evaluated at each epoch end; only migrants ever convert)."
    ),
    (s.Conversion, "annual_probability"): (
        "Chance per year that a migrant who meets `requires` converts (the value in force at "
        "the epoch start, scaled to the epoch's length)."
    ),
    (s.Conversion, "reference"): "Sources for the rule.",
    # Calibration target
    (s.Target, "label"): "Human-readable description.",
    (s.Target, "metric"): (
        "A time-series metric with one value per date (see [Metrics](#metrics)); checked when "
        "loading."
    ),
    (s.Target, "group"): "A time-series group the metric is written for (see [Metrics](#metrics)).",
    (s.Target, "categories"): (
        "For a metric split by category (a band, a list, a right): the categories whose values "
        "are added up on each date, e.g. the share of users in the bands `good` and above."
    ),
    (s.Target, "period"): "[first, last] date, both inside the horizon.",
    (s.Target, "low"): "Lowest acceptable value.",
    (s.Target, "high"): "Highest acceptable value; not below `low`.",
    (s.Target, "reference"): "Sources for the target.",
    # Reform
    (s.Reform, "description"): "What the reform does, in prose.",
    (s.Reform, "set"): "Overlays, applied in order.",
    (s.Setting, "path"): (
        "Dotted path of a dated parameter from the top of the scenario, e.g. "
        "`schemes.court.grace_days`. Only dated parameters that the scenario sets can be "
        "reformed; checked when loading."
    ),
    (s.Setting, "value"): "New value, in the parameter's range; `null` repeals.",
    (s.Setting, "start"): (
        "Date from which the value holds (inside the horizon); later dated values before "
        "`until` are dropped. Not set: the value replaces the parameter's whole history."
    ),
    (s.Setting, "until"): (
        "Date on which the value in force before the reform returns (inside the horizon); not "
        "set means to the end."
    ),
    # Param and Reference
    (s.Param, "label"): "What the number is.",
    (s.Param, "unit"): "Its unit (`day`, `yuan`, `probability`, `1/year`, ...).",
    (s.Param, "values"): "Date → value (`null` repeals); at least one entry.",
    (s.Param, "reference"): "Sources for the values.",
    (s.Reference, "title"): "What the source is and what it says.",
    (s.Reference, "href"): "Where to find it: a URL, or a path in the repository.",
    (s.Reference, "verified"): "Whether the value was seen in the cited source.",
}


def _power_of_two(limit: int) -> str:
    """``2^k − 1`` for a limit of that form, else the number."""
    return f"2^{limit.bit_length()} − 1" if limit & (limit + 1) == 0 else f"{limit:,}"


# Checks made by validators (not visible in the field types), listed under their model.
MODEL_CHECKS: dict[type[BaseModel], tuple[str, ...]] = {
    s.ScenarioSpec: (
        "Every event named in `observation.detection`, in a points scheme's `deltas` and in a "
        "list's `records` exists.",
        "Every province name exists (with a 'did you mean' suggestion otherwise).",
        "At most one `points`, one `court_list` and one `composite` scheme; at most "
        f"{MAX_LISTS} `blacklist` or `redlist` schemes; at most 15 measures.",
        "Calibration periods, jurisdiction dates (`from`, `until`, `rollout`) and reform dates "
        "lie inside the horizon.",
        "Every reform `path` leads to a dated parameter that the scenario sets (with a 'did you "
        "mean' suggestion otherwise), and every reform `value` lies in that parameter's range.",
        "Every expression compiles against its vocabulary (see [Expressions](#expressions)).",
    ),
    s.World: (
        "`end` is after `start`, and at most 32,000 days after it.",
        *(
            [f"`seed` is a whole number from 0 to {_power_of_two(s.SEED_MAX)}."]
            if hasattr(s, "SEED_MAX")  # checked by a validator, invisible in the field's type
            else []
        ),
    ),
    s.Heterogeneity: ("`clip` is [low, high] with 0 ≤ low ≤ high.",),
    s.Event: (
        "Exactly one of `daily_probability` and `annual_rate`.",
        "`amount` is given when `consequence` is `fine` or `judgment`.",
    ),
    s.PointsScheme: (
        "`grades` has at least two bands with strictly increasing bounds.",
        "`cap` is not below `base` on the start date.",
    ),
    s.Observation: ("Every source named in a `detection` list is a key of `sources`.",),
    s.Source: (
        "Every `intensity` key is a group flag: `urban`, `hukou_urban`, `migrant`, `minority` "
        "or `has_child`.",
        "A `coverage` expression gives a probability (0 to 1) in every province and cell.",
    ),
    s.CourtList: ("`national_from` is not before `list_from`.",),
    s.CompositeScore: (
        "The top of `range` is above its bottom.",
        "There is at least one dimension, and the dimension weights sum to `weights_sum`.",
        f"`bands` has 2 to {MAX_BANDS} bands with strictly increasing bounds, each within `range`.",
        "Every term `input` is one the score can read.",
    ),
    s.ListScheme: (
        "`excludes` names other black or red lists, or the court list, never the list itself.",
    ),
    s.Target: ("`high` is not below `low`; the period does not end before it starts.",),
    s.Param: (
        "At least one dated value; a quoted number is an error.",
        "Every value is a finite number (`.nan` and `.inf` are errors) in the range of the key "
        "that holds the parameter, or `null`.",
    ),
}

# Sites of expressions: the key path pattern → what the expression reads about.
VOCABULARY_TITLES: dict[str, str] = {
    "modifier": "Citizen attributes",
    "eligible": "Citizen attributes",
    "applies_to": "Coverage attributes",
    "detection": "Detection variables",
    "coverage": "Source coverage variables",
    "needs": "Hukou rule attributes",
    "access": "Hukou rule attributes",
    "requires": "Hukou rule attributes",
    "when": "Status variables",
}

VARIABLE_DOCS: dict[str, str] = {
    "age": "Age reached in the current year (the year of the epoch start).",
    "male": "True for men.",
    "urban": "Lives in an urban area.",
    "hukou_urban": "Holds an urban (non-agricultural) hukou.",
    "migrant": (
        "Floating: lives away from the hukou place (set at synthesis; changes on a move between "
        "provinces and on a hukou conversion)."
    ),
    "interprovincial": (
        "Lives in another province than the hukou province (changes on a move and on a hukou "
        "conversion)."
    ),
    "minority": "Belongs to an ethnic minority.",
    "has_child": "An adult with a child under 18 in the household.",
    "income": "Base monthly income in yuan (before sanctions; grows each epoch).",
    "wealth": "Liquid wealth in yuan.",
    "debt": "Household debt in yuan.",
    "employment": "Employment tier: 0 none, 1 informal, 2 formal private, 3 public sector.",
    "education": "Education of adults: 0 primary or less, 1 secondary, 2 tertiary (0 for minors).",
    "residence_years": (
        "Whole years lived where the citizen lives now: their age if they never moved, 0 again "
        "after a move between provinces."
    ),
    "local_hukou": ("Registered where they live: `not migrant` (true after a hukou conversion)."),
    "province": "Province of residence; compare with a name, e.g. `province == 'Shandong'`.",
    "listed": (
        "On the court list (in a measure's `when`: at the epoch start; elsewhere: when the "
        "expression is evaluated)."
    ),
    "blacklisted": "On a black list that reaches the citizen, as at the latest epoch start.",
    "red_listed": "On a red list that reaches the citizen, as at the latest epoch start.",
    "red_share": (
        "Share of the adults of the citizen's province of residence who are on a red list, as "
        "at the last epoch end (0 before it and without red lists)."
    ),
    "user": "Uses the composite score (as at its last recomputation).",
    "score": (
        "Composite score at its last recomputation; 0 for non-users, so read it with `user`."
    ),
    "friends": (
        "Number of friends in the friendship graph, after any ties dropped; 0 without a graph."
    ),
    "<list>": (
        "Each black or red list, by its scheme name: on it, and reached by it, at the epoch start."
    ),
    "<composite>": (
        "The composite score, by its scheme name: its band at the epoch start, compared with "
        "the band names, e.g. `sesame >= 'good'`; a condition reading it never holds for "
        "non-users."
    ),
    "scored": "Scored by the points scheme during the epoch (covered, consenting, in its jurisdiction).",
    "grade": (
        "Grade at the epoch start, compared with the points scheme's grade names, e.g. "
        "`grade >= 'A'`; a condition reading it never holds for unscored citizens."
    ),
}

FUNCTION_DOCS: dict[str, str] = {
    "min": "Smallest argument, element-wise.",
    "max": "Largest argument, element-wise.",
    "abs": "Absolute value.",
    "clip": "x limited to [lo, hi].",
    "log": "Natural logarithm (log of 0 is −inf, of a negative number NaN; no error).",
    "exp": "Exponential.",
    "sqrt": "Square root (NaN for negative numbers; no error).",
    "where": "b where cond is false, a where it is true; same as `a if cond else b`.",
}

CONSEQUENCE_DOCS: dict[str, str] = {
    "none": "No direct consequence; the record may still change points.",
    "fine": "Opens a court case (or adds to the open one) for the drawn amount.",
    "judgment": "As `fine`: the court list treats fines and judgments alike.",
    "move": (
        "Moves the citizen to another province, drawn by 2020 population share; before the "
        "list is national an open case is escaped."
    ),
}

METRIC_DOCS: dict[str, str] = {
    "population": "People in the group (stock at the epoch end).",
    "adults": "People aged 18 or over in the year of the epoch start.",
    "listed": "People on the court list at the epoch end.",
    "listed_wrongful": "Listed people whose case rests only on misattributed records.",
    "scored": "People scored by the points scheme during the epoch.",
    "new_listings": "Listings made during the epoch.",
    "exits_paid": "Cases closed by payment during the epoch.",
    "exits_expiry": "Listings ended by term expiry during the epoch.",
    "exits_no_assets": "Listings ended by a no-assets finding during the epoch.",
    "escapes": "Cases escaped by moving province during the epoch.",
    "cases_opened": "Fines and judgments added to cases during the epoch.",
    "cases_paid": "Cases paid during the epoch (equals `exits_paid`).",
    "open_cases": "People with an open case at the epoch end.",
    "trapped": "Listed for a year or more at the epoch end and unable to pay.",
    "listed_share_adults": "`listed` / `adults` (a share, not weighted).",
    "wealth_mean": "Mean wealth in yuan at the epoch end.",
    "income_mean": "Mean effective income (after sanctions) in yuan per month.",
    "debt_mean": "Mean debt in yuan at the epoch end.",
    "events_true": "Events that happened, by kind.",
    "events_recorded": "Records attached to people, by kind (correct and misattributed).",
    "wrongful_records": "Misattributed records delivered to innocent people, by kind.",
    "misattributed": "Events whose record went to someone else, by kind (delivered next epoch).",
    "sanctioned": "People under the measure during the epoch, by measure.",
    "sanction_days": "Person-days under the measure during the epoch, by measure.",
    "points_mean": "Mean points of the scored (daily for group `all`, per epoch otherwise).",
    "grade_count": "Scored people per grade (daily for group `all`, per epoch otherwise).",
    "scored_daily": "People scored, daily.",
    "list_members": (
        "People on the black or red list at the epoch end, by list (wherever they live, reached "
        "by it or not)."
    ),
    "list_joined": "People who joined the list at the epoch end, by list.",
    "composite_users": "Users of the composite score at the epoch end.",
    "composite_mean": "Mean composite score of the users at the epoch end (0 without users).",
    "composite_q10": "10th percentile of the users' composite scores (0 without users).",
    "composite_q25": "25th percentile of the users' composite scores (0 without users).",
    "composite_median": "Median of the users' composite scores (0 without users).",
    "composite_q75": "75th percentile of the users' composite scores (0 without users).",
    "composite_q90": "90th percentile of the users' composite scores (0 without users).",
    "composite_band": "Users whose composite score is in the band at the epoch end, by band.",
    "composite_band_share": (
        "Share of users whose composite score is in the band at the epoch end, by band (a "
        "calibration target adds bands up with `categories:`)."
    ),
    "ties_dropped": (
        "Friendship ties dropped by users during the epoch (a tie that both ends drop counts "
        "twice)."
    ),
    "friends_mean": "Mean number of friends per person at the epoch end.",
    "score_assortativity": (
        "Correlation of the composite scores at the two ends of the ties between users "
        "(Newman's assortativity), at the end of each year and of the run; no row while "
        "there are no such ties."
    ),
    "rights_lacking": (
        "People who need the hukou right and lack access to it during the epoch, by right."
    ),
    "hukou_conversions": "Migrants who obtained a local urban hukou at the epoch end.",
    "migrants": "People living away from their hukou place at the epoch end.",
}

# ---------------------------------------------------------------------------------------------
# Walking the schema


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """``tp`` without Annotated wrappers and ``None`` members, and the metadata removed."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp, *extra = get_args(tp)
            for item in extra:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp, metadata
            tp = members[0]
        else:
            return tp, metadata


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _key(name: str, info: FieldInfo) -> str:
    return info.alias or name


# What a mapping's keys stand for, by the field that holds it.
KEY_NAMES: dict[tuple[type[BaseModel], str], str | tuple[str, ...]] = {
    (s.ScenarioSpec, "schemes"): "scheme",
    (s.ScenarioSpec, "measures"): "measure",
    (s.ScenarioSpec, "calibration"): "target",
    (s.ScenarioSpec, "reforms"): "reform",
    (s.Behaviour, "events"): "event",
    (s.Observation, "sources"): "source",
    (s.Observation, "detection"): "event",
    (s.Source, "intensity"): "flag",
    (s.Jurisdiction, "rollout"): "province",
    (s.CompositeScore, "dimensions"): "dimension",
    (s.CompositeScore, "bands"): "band",
    (s.Hukou, "rights"): "right",
    (s.Hukou, "conversion"): "rule",
    (s.PointsScheme, "deltas"): "event",
    (s.PointsScheme, "local_deltas"): ("province", "event"),
    (s.ScenarioSpec, "parameters"): "name",
    (s.PointsScheme, "grades"): "grade",
    (s.Param, "values"): "date",
}


def _children(
    tp: Any, path: str, owner: tuple[type[BaseModel], str], depth: int = 0
) -> Iterator[tuple[str, Any]]:
    """(path, model) for every model reachable inside a field's type."""
    tp, _ = _unwrap(tp)
    origin = get_origin(tp)
    if _is_model(tp):
        yield path, tp
    elif origin in (Union, types.UnionType):
        for member in get_args(tp):
            yield from _children(member, path, owner, depth)
    elif origin is dict:
        names = KEY_NAMES.get(owner, "name")
        names = (names,) if isinstance(names, str) else names
        placeholder = f"<{names[min(depth, len(names) - 1)]}>"
        yield from _children(get_args(tp)[1], f"{path}.{placeholder}", owner, depth + 1)
    elif origin is list:
        yield from _children(get_args(tp)[0], f"{path}[]", owner, depth)


def model_paths() -> dict[type[BaseModel], list[str]]:
    """Every model of the schema with the key paths where it is written, in document order."""
    found: dict[type[BaseModel], list[str]] = {s.ScenarioSpec: ["(top level)"]}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}{_key(name, info)}"
            for child_path, child in _children(info.annotation, path, (model, name)):
                found.setdefault(child, [])
                if child_path not in found[child]:
                    found[child].append(child_path)
                walk(child, child_path + ".")

    walk(s.ScenarioSpec, "")
    shared = (s.Param, s.Reference)  # used in many places: described last
    return {m: p for m, p in found.items() if m not in shared} | {m: found[m] for m in shared}


def field_paths() -> dict[str, tuple[type[BaseModel], str]]:
    """Key path pattern (``behaviour.events.<event>.modifier``) → (model, field name)."""
    out: dict[str, tuple[type[BaseModel], str]] = {}
    for model, paths in model_paths().items():
        for path in paths:
            prefix = "" if path == "(top level)" else f"{path}."
            for name, info in model.model_fields.items():
                out[f"{prefix}{_key(name, info)}"] = (model, name)
    return out


# ---------------------------------------------------------------------------------------------
# Expression sites, from the mechanisms


def _sample_spec() -> s.ScenarioSpec:
    """The smallest scenario that has one expression of every site."""
    day = dt.date(2020, 1, 1)
    return s.ScenarioSpec.model_validate(
        {
            "name": "sample",
            "world": {"start": day, "end": day + dt.timedelta(days=1)},
            "behaviour": {"events": {"EVENT": {"daily_probability": 0.1}}},
            "observation": {
                "sources": {"SOURCE": {"coverage": "urban"}},
                "detection": {"EVENT": "urban"},
            },
            "schemes": {
                "SCHEME": {
                    "kind": "points",
                    "base": 1.0,
                    "deltas": {"EVENT": 1.0},
                    "grades": {"GRADE_LOW": 0.0, "GRADE_HIGH": 1.0},
                },
                "LIST": {"kind": "blacklist", "records": ["EVENT"], "term_days": 1.0},
                "COMPOSITE": {
                    "kind": "composite",
                    "range": [0.0, 1.0],
                    "dimensions": {"DIMENSION": {"weight": 1.0}},
                    "bands": {"BAND_LOW": 0.0, "BAND_HIGH": 1.0},
                },
            },
            "measures": {"MEASURE": {"when": "listed"}},
            "hukou": {
                "rights": {"RIGHT": {"access": "local_hukou"}},
                "conversion": {"RULE": {"annual_probability": 0.1}},
            },
        }
    )


# Placeholder names of the sample scenario, as key paths show them ...
_SAMPLE_NAMES = {
    "EVENT": "<event>",
    "SOURCE": "<source>",
    "SCHEME": "<scheme>",
    "LIST": "<scheme>",
    "COMPOSITE": "<scheme>",
    "MEASURE": "<measure>",
    "RIGHT": "<right>",
    "RULE": "<rule>",
}
# ... and as the variables named after them (the status variables) show them.
_SAMPLE_VARIABLES = {"LIST": "<list>", "COMPOSITE": "<composite>"}
_SAMPLE_GRADES = ("GRADE_LOW", "GRADE_HIGH")
_SAMPLE_BANDS = ("BAND_LOW", "BAND_HIGH")


def _variable_name(name: str) -> str:
    return _SAMPLE_VARIABLES.get(name, name)


def _owner(spec: BaseModel, path: tuple) -> tuple[type[BaseModel], str]:
    """The (model, field) that holds the value at ``path`` of a scenario (a mapping's value
    belongs to the field that holds the mapping)."""
    node: Any = spec
    owner: tuple[type[BaseModel], str] | None = None
    for part in path:
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            name = next((n for n, f in fields.items() if _key(n, f) == part), str(part))
            owner = (type(node), name)
            node = getattr(node, name)
        elif isinstance(node, dict):
            node = node[part]
        else:
            node = node[int(part)]
    assert owner is not None, path
    return owner


def expression_sites() -> list[tuple[str, tuple[type[BaseModel], str], str, Mapping[str, Any]]]:
    """(key path, (model, field), result type, variables) of every expression site."""
    from scsim.rules import Bool
    from scsim.scenario.expressions import expression_sites as sites

    spec = _sample_spec()
    out = []
    for path, _, variables, expect in sites(spec):
        key = ".".join(_SAMPLE_NAMES.get(str(p), str(p)) for p in path)
        result = "condition" if isinstance(expect, Bool) else "number"
        out.append((key, _owner(spec, path), result, variables))
    return out


def _vocabularies() -> dict[str, tuple[list[str], Mapping[str, Any]]]:
    """Vocabulary title → (site paths, variables), in site order."""
    vocabularies: dict[str, tuple[list[str], Mapping[str, Any]]] = {}
    for key, (_, field), _, variables in expression_sites():
        same = [t for t, (_, known) in vocabularies.items() if dict(known) == dict(variables)]
        title = same[0] if same else VOCABULARY_TITLES.get(field, f"Variables of `{field}`")
        if title in vocabularies and not same:  # another vocabulary has this title already
            title = f"{title} (`{field}`)"
        keys = vocabularies.setdefault(title, ([], variables))[0]
        if key not in keys:  # several sample schemes share `schemes.<scheme>.applies_to`
            keys.append(key)
    return vocabularies


# ---------------------------------------------------------------------------------------------
# Rendering


def _anchor(title: str) -> str:
    """The anchor GitHub gives a heading with this text."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _link(model: type[BaseModel]) -> str:
    title = MODEL_TITLES.get(model, model.__name__)
    return f"[{title.lower() if model is s.Param else title}](#{_anchor(title)})"


def _number(value: float) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:g}"


def _render_type(tp: Any, owner: tuple[type[BaseModel], str], expression: str | None) -> str:
    tp, _ = _unwrap(tp)
    origin = get_origin(tp)
    if expression is not None and tp is str:
        return f"{expression} [expression](#expressions)"
    if _is_model(tp):
        return _link(tp)
    if origin is Literal:
        return "text"
    if origin in (Union, types.UnionType):
        members = [_render_type(m, owner, expression) for m in get_args(tp)]
        members = [m for m in members if m != "null"]
        return " or ".join(members)
    if origin is dict:
        key = KEY_NAMES.get(owner, "name")
        return f"mapping: {key} → {_render_type(get_args(tp)[1], owner, expression)}"
    if origin is list:  # of names or numbers: no expression is written in a list
        return f"list of {_plural(_render_type(get_args(tp)[0], owner, None))}"
    names = {
        bool: "true/false",
        int: "whole number",
        float: "number",
        str: "text",
        dt.date: "date",
        type(None): "null",
    }
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _plural(word: str) -> str:
    plurals = {"text": "texts", "true/false": "true/false values", "whole number": "whole numbers"}
    if word in plurals:
        return plurals[word]
    if word.startswith("[") or " " in word:
        return word
    return word + "s"


def _bounds(bounds: s.Bounds) -> str:
    """A parameter's range in the Allowed column: "values in [0, 1]", "whole values ≥ 0"."""
    low = None if bounds.low is None else _number(bounds.low)
    high = None if bounds.high is None else _number(bounds.high)
    values = "whole values" if bounds.whole else "values"
    if low is not None and high is not None and not bounds.above_low:
        return f"{values} in [{low}, {high}]"
    parts = [f"{'>' if bounds.above_low else '≥'} {low}" if low is not None else ""]
    parts.append(f"≤ {high}" if high is not None else "")
    text = " and ".join(p for p in parts if p)
    return f"{values} {text}" if text else "finite values"


def _constraints(info: FieldInfo) -> list[str]:
    tp, metadata = _unwrap(info.annotation)
    metadata = [*info.metadata, *metadata]
    if get_origin(tp) is dict:  # the range of each entry's parameter
        metadata += [m for m in _unwrap(get_args(tp)[1])[1] if isinstance(m, s.Bounds)]
    out: list[str] = [_bounds(m) for m in metadata if isinstance(m, s.Bounds)]
    if get_origin(tp) is Literal:
        out.append(", ".join(f"`{v}`" for v in get_args(tp)))
    lengths: dict[str, int] = {}
    bounds = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
    for item in metadata:  # annotated_types' Gt, Ge, ..., MinLen, MaxLen, and pydantic's pattern
        for attribute, symbol in bounds.items():
            if getattr(item, attribute, None) is not None:
                out.append(f"{symbol} {_number(getattr(item, attribute))}")
        for attribute in ("min_length", "max_length"):
            if getattr(item, attribute, None) is not None:
                lengths[attribute[:3]] = getattr(item, attribute)
        if getattr(item, "pattern", None):
            out.append(f"matches `{item.pattern}`")
    if lengths.get("min") == lengths.get("max") and "min" in lengths:
        out.append(f"exactly {lengths['min']} items")
    elif lengths:
        text = tp is str
        if "min" in lengths:
            out.append("not empty" if text and lengths["min"] == 1 else f"≥ {lengths['min']} items")
        if "max" in lengths:
            out.append(f"≤ {lengths['max']} items")
    return out


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    value = info.default
    if value is None:
        return "not set"
    if isinstance(value, s.Param):
        if list(value.values) == [s.EPOCH_START]:
            return f"`{_number(value.values[s.EPOCH_START])}`"
        return f"`{value.values}`"
    if isinstance(value, BaseModel):
        changed = [  # a default that differs from the model's own defaults, as Jurisdiction's scope
            f"`{_key(name, type(value).model_fields[name])}: {getattr(value, name)}`"
            for name in sorted(value.model_fields_set)
        ]
        return "its defaults" + (", with " + ", ".join(changed) if changed else "")
    if isinstance(value, bool | int | float):
        return f"`{_number(value)}`"
    if isinstance(value, str):
        return f'`"{value}"`' if value == "" else f"`{value}`"
    if isinstance(value, list):
        return "`[" + ", ".join(_number(v) for v in value) + "]`"
    if isinstance(value, dict):
        return "`{}`"
    return f"`{value!r}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _expression_fields() -> dict[tuple[type[BaseModel], str], str]:
    return {owner: result for _, owner, result, _ in expression_sites()}


def _model_section(model: type[BaseModel], paths: list[str], lines: list[str]) -> None:
    title = MODEL_TITLES.get(model, model.__name__)
    lines += [f"## {title}", ""]
    where = ", ".join(f"`{p}`" for p in paths) if paths != ["(top level)"] else "the top level"
    kind = model.model_fields.get("kind")
    if kind is not None and get_origin(kind.annotation) is Literal:
        where += " with " + " or ".join(f"`kind: {k}`" for k in get_args(kind.annotation))
    doc = MODEL_DOCS.get(model) or (model.__doc__ or "").strip()
    lines += [doc, "", f"Written at: {where}.", ""]
    expressions = _expression_fields()
    lines += [
        "| Key | Type | Default | Allowed | Description |",
        "|---|---|---|---|---|",
    ]
    for name, info in model.model_fields.items():
        owner = (model, name)
        kind = _render_type(info.annotation, owner, expressions.get(owner))
        description = info.description or FIELD_DOCS.get(owner, "*(undocumented)*")
        allowed = "; ".join(_constraints(info))
        row = [f"`{_key(name, info)}`", kind, _default(info), allowed, description]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    lines.append("")
    checks = MODEL_CHECKS.get(model, ())
    if checks:
        lines += ["Checked when loading:", ""]
        lines += [f"- {check}" for check in checks]
        lines.append("")


def _type_name(tp: Any) -> str:
    from scsim.core.vocabulary import PROVINCE_NAMES
    from scsim.rules import Bool, Number, Ordinal

    if isinstance(tp, Bool):
        return "true/false"
    if isinstance(tp, Number):
        return "number"
    if isinstance(tp, Ordinal):
        if tuple(tp.levels) == tuple(PROVINCE_NAMES):
            return "ordinal: [province names](#provinces)"
        if tuple(tp.levels) == _SAMPLE_BANDS:
            return "ordinal: the composite score's band names"
        if tuple(tp.levels) == _SAMPLE_GRADES:
            return "ordinal: the points scheme's grade names"
        raise ValueError(f"an ordinal variable over unknown levels {tp.levels}")
    return str(tp)


def _refused(constructs: Iterator[str] | Any) -> str:
    """The refused constructs as one list, operators of one family grouped."""
    families: dict[str, list[str]] = {"comments": [], "keyword arguments": []}
    for text in constructs:
        if text == "attribute access":
            text = "attribute access other than `p.<path>`"
        name, _, symbol = text.partition(" (")
        families.setdefault(name, [])
        if symbol:
            families[name].append(f"`{symbol.rstrip(')')}`")
    return ", ".join(
        f"{name} ({' '.join(symbols)})" if symbols else name
        for name, symbols in sorted(families.items(), key=lambda kv: kv[0].strip("`"))
    )


def _expressions_section(lines: list[str]) -> None:
    from scsim.core.vocabulary import DYNAMIC
    from scsim.rules import FUNCTIONS
    from scsim.rules.parse import _ARITH, _COMPARE, _CONSTRUCTS, MAX_CLAUSES, MAX_LENGTH

    lines += [
        "## Expressions",
        "",
        "Conditions and amounts are written in a small language: Python expression syntax, "
        "parsed with `ast` under an allowlist and never evaluated as Python. Each expression is "
        "compiled once when the scenario is loaded and evaluated over whole arrays. A condition "
        "must be true/false; where a number is expected, true/false counts as 1/0.",
        "",
        "| Written at | Result | Reads |",
        "|---|---|---|",
    ]
    vocabularies = _vocabularies()
    rows = {key: result for key, _, result, _ in expression_sites()}
    for key, result in rows.items():
        title = next(t for t, (keys, _) in vocabularies.items() if key in keys)
        lines.append(f"| `{key}` | {result} | [{title.lower()}](#{_anchor(title)}) |")
    lines += [
        "",
        "Besides variables, an expression may use:",
        "",
        "- numbers (`0.5`, `1e-3`), `True`, `False`;",
        "- `p.<path>`: the value of a dated parameter of this scenario on the start date, "
        "e.g. `p.schemes.court.grace_days` (fixed for the whole run);",
        "- arithmetic " + ", ".join(f"`{op}`" for op in _ARITH.values()) + " (computed in float64; "
        "division by zero gives inf or NaN, not an error);",
        "- comparisons "
        + ", ".join(f"`{op}`" for op in _COMPARE.values())
        + ", chained as in Python (`18 <= age < 60`); a text literal may only be compared with "
        "an ordinal variable (`grade >= 'A'`, `province == 'Shandong'`);",
        "- `and`, `or`, `not`; `a if cond else b`;",
        "- the functions below.",
        "",
        "| Function | Meaning |",
        "|---|---|",
    ]
    for name, (_, _, usage) in FUNCTIONS.items():
        lines.append(f"| `{usage}` | {FUNCTION_DOCS.get(name, '*(undocumented)*')} |")
    refused = _refused(_CONSTRUCTS.values())
    lines += [
        "",
        f"Not allowed: {refused}, any name starting with `__`, and calls of anything "
        f"but the functions above. Expressions are at most {MAX_LENGTH:,} characters; a "
        f"condition has at most {MAX_CLAUSES} top-level `or` clauses. Line breaks count as "
        "spaces, so a long expression may use a YAML block scalar.",
        "",
    ]
    for title, (keys, variables) in vocabularies.items():
        lines += [f"### {title}", ""]
        lines += ["Read by " + ", ".join(f"`{k}`" for k in keys) + ".", ""]
        lines += ["| Name | Type | Meaning |", "|---|---|---|"]
        for name, tp in variables.items():
            name = _variable_name(name)
            meaning = VARIABLE_DOCS.get(name, "*(undocumented)*")
            if name in DYNAMIC and title == "Citizen attributes" and "change" not in meaning:
                meaning += " Changes during a run."
            lines.append(f"| `{name}` | {_type_name(tp)} | {meaning} |")
        lines.append("")
    lines += [
        "When expressions are evaluated: an event's `modifier` or `eligible` that reads none of "
        + ", ".join(f"`{d}`" for d in sorted(DYNAMIC))
        + " once, at the start of the run, and otherwise again on each 1 January; a points "
        "scheme's `applies_to` and a hukou right's `needs` and `access` at each epoch start; a "
        "list's `applies_to`, a hukou conversion's `requires` and a composite score's "
        "`adoption.eligible` at each epoch end (the last also at the start of the run); a "
        "detection rule or a source's `coverage` once for every province and cell, again when a "
        "source's dated values change; a measure's `when` once for every combination of status "
        "values, looked up at each epoch start. The state kept by the mechanisms (lists, "
        "scores, friends, residence) reads as the mechanisms last set it.",
        "",
    ]


def _metrics_section(lines: list[str]) -> None:
    from scsim.core.metrics import GROUPS

    lines += [
        "## Metrics",
        "",
        "The names a calibration target may use in `metric` and `group`: the rows of "
        "timeseries.parquet (`date, metric, group, category, value`). Epoch rows are dated on "
        "the epoch's last day; counts are in real-population units. `category` holds the event "
        "kind, measure, grade, list, band or right for the metrics that have one, and is empty "
        "otherwise. Metrics exist only when the scenario has what they count: grade and points "
        "metrics a points scheme; `list_*` a black or red list; `composite_*` a composite "
        "score; `friends_mean` a friendship graph; `ties_dropped` and `score_assortativity` "
        "both of the last two; `rights_lacking` hukou rights; "
        "`hukou_conversions` conversion rules; `migrants` either.",
        "",
        "Groups: " + ", ".join(f"`{g}`" for g in GROUPS) + ".",
        "",
        "| Metric | Category | Groups | Meaning |",
        "|---|---|---|---|",
    ]
    for metric, (groups, category) in metric_vocabulary().items():
        which = "every group" if len(groups) == len(GROUPS) else ", ".join(f"`{g}`" for g in groups)
        meaning = METRIC_DOCS.get(metric, "*(undocumented)*")
        lines.append(f"| `{metric}` | {category} | {which} | {meaning} |")
    lines.append("")


def _vocabulary_lists(lines: list[str]) -> None:
    from scsim.core.vocabulary import CONSEQUENCES
    from scsim.population.census import PROVINCE_NAMES, PROVINCE_POPULATION

    lines += ["## Consequences", "", "| Consequence | Effect |", "|---|---|"]
    for name in CONSEQUENCES:
        lines.append(f"| `{name}` | {CONSEQUENCE_DOCS.get(name, '*(undocumented)*')} |")
    lines += [
        "",
        "## Provinces",
        "",
        "The 31 province-level divisions, as written in `provinces` lists and compared with "
        "`province`, with their 2020 census population.",
        "",
        "| Province | Population (2020) |",
        "|---|---|",
    ]
    for name, people in zip(PROVINCE_NAMES, PROVINCE_POPULATION, strict=True):
        lines.append(f"| {name} | {int(people):,} |")
    lines.append("")


def render() -> str:
    """The whole reference as Markdown."""
    paths = model_paths()
    lines = [
        "# Scenario reference",
        "",
        "<!-- Generated by src/scsim/scenario/reference.py from the schema and the mechanisms; "
        f"do not edit. Regenerate with: {REGENERATE} -->",
        "",
        "Every key of the scenario format, generated from the schema. Unknown keys are errors, "
        "and so are `.nan` and `.inf` wherever a number goes. "
        "How to write a scenario, with examples: [scenarios.md](scenarios.md); what the "
        "mechanisms do with these values: [modelling.md](modelling.md).",
        "",
        f"A scenario is one YAML file, or a folder holding `{FOLDER_ENTRY}`. Besides the keys "
        f"below, the top level of any file may hold `{INCLUDE_KEY}:`, a path or a list of paths "
        "(relative to that file) merged underneath it before validation: mappings merge key by "
        "key, anything else is replaced, and later files win.",
        "",
        "Contents: "
        + ", ".join(
            f"[{MODEL_TITLES.get(m, m.__name__)}](#{_anchor(MODEL_TITLES.get(m, m.__name__))})"
            for m in paths
        )
        + ", [Expressions](#expressions), [Metrics](#metrics), [Consequences](#consequences), "
        "[Provinces](#provinces).",
        "",
    ]
    for model, where in paths.items():
        _model_section(model, where, lines)
    _expressions_section(lines)
    _metrics_section(lines)
    _vocabulary_lists(lines)
    return "\n".join(lines).rstrip("\n") + "\n"


def undocumented() -> list[str]:
    """Every field, variable, function, consequence and metric without a description."""
    from scsim.core.vocabulary import CONSEQUENCES
    from scsim.rules import FUNCTIONS

    missing = [
        f"{model.__name__}.{name}"
        for model in model_paths()
        for name, info in model.model_fields.items()
        if not (info.description or (model, name) in FIELD_DOCS)
    ]
    missing += [f"model {m.__name__}" for m in model_paths() if m not in MODEL_TITLES]
    for _, variables in _vocabularies().values():
        missing += [
            f"variable {_variable_name(v)}"
            for v in variables
            if _variable_name(v) not in VARIABLE_DOCS
        ]
    missing += [f"function {f}" for f in FUNCTIONS if f not in FUNCTION_DOCS]
    missing += [f"consequence {c}" for c in CONSEQUENCES if c not in CONSEQUENCE_DOCS]
    missing += [f"metric {m}" for m in metric_vocabulary() if m not in METRIC_DOCS]
    return sorted(dict.fromkeys(missing))


def main() -> None:
    """Print the reference to standard output (UTF-8)."""
    sys.stdout.buffer.write(render().encode("utf-8"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
