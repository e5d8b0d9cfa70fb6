"""``scsim clean [OUT] [--yes]``: list, and with --yes remove, folders left by interrupted runs."""

from __future__ import annotations

import click
from rich.markup import escape

from scsim.cli.console import console, user_errors


@click.command()
@click.argument("out", default="runs", required=False)
@click.option(
    "--yes", is_flag=True, help="Remove the folders listed (never one still being written)."
)
def clean(out: str, yes: bool) -> None:
    """List the hidden folders that interrupted runs or experiments left in OUT (default:
    runs); --yes removes the stale ones: their writer's pid is not alive on this host, or,
    written from another host, they are over a day old; an unfinished experiment, when no
    process holds its lock (removing it discards what --resume would reuse)."""
    with user_errors():
        from scsim.results.store import leftovers, remove_leftovers

        found = leftovers(out)
        if not found:
            console.print(f"no leftover folders in {escape(out)}", highlight=False)
            return
        if yes:
            for path in remove_leftovers(out):
                console.print(f"removed {escape(str(path))}", highlight=False, soft_wrap=True)
        for path, alive, why in found:
            if alive:
                console.print(
                    f"kept {escape(str(path))}: perhaps still being written ({escape(why)})",
                    highlight=False,
                    soft_wrap=True,
                )
            elif not yes:
                console.print(
                    f"stale {escape(str(path))}: {escape(why)}", highlight=False, soft_wrap=True
                )
        if not yes and any(not alive for _, alive, _ in found):
            console.print(
                f"remove the stale ones with: scsim clean {escape(out)} --yes",
                highlight=False,
                soft_wrap=True,
            )


__all__ = ["clean"]
