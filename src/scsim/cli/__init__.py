"""The command line, the top floor: click + rich, one module per family of commands
(``run``, ``show``, ``audit``, ``compare``, ``explain``, ``report``) over the consoles, errors and
progress displays of ``console``. Nothing below this package imports it."""

from scsim.cli.main import main

__all__ = ["main"]
