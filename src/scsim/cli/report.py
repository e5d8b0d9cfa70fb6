"""``scsim report RUN [--compare RUN2] [--out FILE]``: write the run's HTML report.

Light to import: the report's modules load when the command runs.
"""

from __future__ import annotations

import click
from rich.markup import escape

from scsim.cli.console import console, user_errors


@click.command()
@click.argument("run_dir", metavar="RUN")
@click.option("--compare", "compare_dir", metavar="RUN2",
              help="A second run of the same population: adds a panel of differences.")  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write the report here (default: RUN/report.html).")  # fmt: skip
def report(run_dir: str, compare_dir: str | None, out: str | None) -> None:
    """Write RUN's report: one self-contained HTML file (findings, charts, sources) that opens
    offline, and print its path. RUN may be an experiment directory (sweep, sensitivity,
    calibration): its design and what the method found."""
    with user_errors("interrupted — no report was written"):
        from pathlib import Path

        if (Path(run_dir) / "experiment.json").is_file():  # an experiment's own report
            from scsim.report.experiment import write_experiment_report

            if compare_dir is not None:
                raise click.UsageError("--compare is for runs, not experiments")
            path = write_experiment_report(run_dir, out=out)
        else:
            from scsim.report import write_report

            path = write_report(run_dir, out=out, compare=compare_dir)
        size = path.stat().st_size / 1e6
        console.print(
            f"report written to [bold]{escape(str(path))}[/] ({size:.1f} MB)",
            highlight=False,
            soft_wrap=True,
        )


__all__ = ["report"]
