"""Findings under parameter uncertainty: each audit value over an experiment's cases, with an
interval that covers both the seeds and the parameter values.

For a calibration the cases are those of its **accepted** points (every parameter vector whose
runs land within every target) × their seeds; for a sweep or a sensitivity analysis, every
point × seed (the spread over the design's ranges). Per audit value (metric, category,
grouping, group): the mean over the cases, the middle 95% of the case values (2.5% and 97.5%
quantiles: parameter and seed uncertainty together), and the two parts told apart — the
standard deviation of the point means (parameters) and the mean standard deviation within a
point (seeds; null with one seed).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from scsim.experiments.store import Experiment, ExperimentError

# Metrics that are flags (1 or 0 in each case): their mean is the share of cases where the flag
# is 1, which these words name; an interval over 0s and 1s says nothing more.
FLAGS = {
    "four_fifths": "share of cases failing the four-fifths rule",
    "adverse_four_fifths": "share of cases failing the four-fifths rule",
    "calibration_within": "share of cases within the target",
}
COLUMNS = ("metric", "category", "group_by", "group", "cases", "points", "seeds", "mean", "low",
           "high", "parameter_sd", "seed_sd")  # fmt: skip


def case_points(experiment: Experiment) -> tuple[list[int], str]:
    """The points whose cases count, and what they are, in words."""
    design = experiment.design
    if experiment.manifest.get("kind") == "calibration":
        accepted = experiment.manifest["calibration_result"]["accepted_points"]
        if not accepted:
            raise ExperimentError(
                f"experiment {experiment.path}: no point of the calibration landed within every "
                "target, so there is no accepted set to read findings from — widen the free "
                "ranges, draw more --samples, or check the targets"
            )
        what = f"{len(accepted)} accepted parameter sets of {len(design.points)}"
        return list(accepted), what
    return list(range(len(design.points))), f"all {len(design.points)} design points"


def findings(experiment: Experiment, by: Sequence[str] | None = None) -> tuple[pa.Table, str]:
    """The table of :data:`COLUMNS` (groupings in ``by`` and the whole population; all when
    None) and a line saying what its intervals cover."""
    import duckdb

    points, what = case_points(experiment)
    seeds = len(experiment.design.seeds)
    con = duckdb.connect()
    con.register("results", experiment.results)
    con.register("chosen", pa.table({"point": pa.array(points, pa.int64())}))
    grouping = ""
    if by is not None:
        wanted = ", ".join("'" + g.replace("'", "''") + "'" for g in ["all", *by])
        grouping = f"and group_by in ({wanted})"
    relation = con.sql(
        f"""
        with numbered as (select *, row_number() over () as k from results),
        cases as (
            select metric, category, group_by, "group", point, value, k from numbered
            where date is null and isfinite(value) {grouping}
              and point in (select point from chosen)
        ), per_point as (
            select metric, category, group_by, "group", point, avg(value) as point_mean,
                   stddev_samp(value) as within_sd
            from cases group by all
        ), spread as (
            select metric, category, group_by, "group", stddev_samp(point_mean) as parameter_sd,
                   avg(within_sd) as seed_sd
            from per_point group by all
        )
        select c.metric, c.category, c.group_by, c."group", count(*) as cases,
               count(distinct c.point) as points, {seeds} as seeds, avg(c.value) as mean,
               quantile_cont(c.value, 0.025) as low, quantile_cont(c.value, 0.975) as high,
               any_value(s.parameter_sd) as parameter_sd, any_value(s.seed_sd) as seed_sd,
               min(c.k) as first
        from cases c join spread s using (metric, category, group_by, "group")
        group by c.metric, c.category, c.group_by, c."group"
        order by first
        """
    )
    table = relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else (
        relation.fetch_arrow_table())  # fmt: skip
    table = table.drop_columns(["first"])  # the audit's own order: outcomes that hurt first
    text = (
        f"over {what} × {seeds} seed{'s' if seeds > 1 else ''}: each interval is the middle 95% "
        "of the cases' values, parameter and seed uncertainty together"
    )
    return table, text
