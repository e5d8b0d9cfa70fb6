"""The ``scsim`` command group: one verb per public function, errors as messages, never a
traceback. Each family of commands is defined in its own module of this package."""

from __future__ import annotations

import click

from scsim.cli.audit import audit
from scsim.cli.calibrate import calibrate_command
from scsim.cli.clean import clean
from scsim.cli.compare import compare_command
from scsim.cli.console import warnings_as_lines
from scsim.cli.explain import explain
from scsim.cli.report import report
from scsim.cli.run import run, scenarios, validate
from scsim.cli.sensitivity import sensitivity_command
from scsim.cli.show import query, show
from scsim.cli.sweep import sweep_command


@click.group()
@click.version_option(package_name="scsim")
def main() -> None:
    """scsim: simulate and audit social credit systems over synthetic populations."""
    warnings_as_lines()


COMMANDS = (run, validate, scenarios, show, query, audit, explain, compare_command, sweep_command,
            sensitivity_command, calibrate_command, clean, report)  # fmt: skip
for command in COMMANDS:
    main.add_command(command)

if __name__ == "__main__":
    main()
