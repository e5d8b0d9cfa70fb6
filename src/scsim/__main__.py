"""The ``scsim`` command: ``python -m scsim`` or the console script."""

from __future__ import annotations

import os
import sys

EXIT_INTERRUPTED = 130


def main() -> None:
    """Run the command line; Ctrl-C at any moment, even while importing, is a clean exit."""
    try:
        import click

        from scsim.cli.main import main as cli

        try:
            # Not standalone, so that an interrupt reaches us rather than printing "Aborted!".
            sys.exit(cli.main(standalone_mode=False) or 0)
        except click.exceptions.Abort:
            raise KeyboardInterrupt from None
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.ClickException as err:  # a usage error: click's own message and code
            err.show()
            sys.exit(err.exit_code)
    except KeyboardInterrupt:
        _interrupted()
    except SystemExit as done:
        if done.code == EXIT_INTERRUPTED:  # reported already, by the command
            _exit_now(EXIT_INTERRUPTED)
        raise
    except Exception as err:
        # An interrupt inside class creation (e.g. functools.cached_property.__set_name__ while
        # importing) reaches us wrapped in a RuntimeError: it is still Ctrl-C.
        if not _caused_by_interrupt(err):
            raise
        _interrupted()


def _caused_by_interrupt(err: BaseException | None) -> bool:
    while err is not None:
        if isinstance(err, KeyboardInterrupt):
            return True
        err = err.__cause__ or err.__context__
    return False


def _interrupted() -> None:
    sys.stderr.write("error: interrupted — no run directory was completed\n")
    _exit_now(EXIT_INTERRUPTED)


def _exit_now(code: int) -> None:
    """Exit at once after an interrupt: an interpreter shutting down while numba's worker
    threads wind down can otherwise die of the same SIGINT (exit status -2, not 130)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
