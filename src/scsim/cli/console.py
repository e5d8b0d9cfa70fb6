"""What every command shares: the consoles, errors as messages with an exit status (never a
traceback), and progress displays for one run or several."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

if TYPE_CHECKING:
    from scsim.results import Run


class _Console(Console):
    """rich's console, but a reader gone from the pipe is left to ``user_errors`` (exit 141),
    and no ``:name:`` is read as an emoji code (``scenario.yaml:100:5`` would print as
    ``scenario.yaml💯5``)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("emoji", False)
        super().__init__(*args, **kwargs)

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


console = _Console()
errors = _Console(stderr=True)

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a pipeline cut short by `head`


def sized(out: Console) -> Console:
    """``out`` when its width is known (a terminal, or ``COLUMNS`` set); otherwise a console as
    wide as needed (ending quietly like ``console`` when the reader goes), so that a pipe or a
    file gets whole lines, however long."""
    if out.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return out
    return _Console(width=10_000, file=out.file, force_terminal=False)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


@dataclass
class Outcome:
    """What an interrupt means at this point of a command (the run command updates it)."""

    interrupted: str


@contextmanager
def user_errors(interrupted: str = "interrupted") -> Iterator[Outcome]:
    """Turn the errors a user can fix into messages with a non-zero exit."""
    outcome = Outcome(interrupted)
    try:
        import duckdb

        from scsim.core.errors import SimulationError
        from scsim.results import RunError
        from scsim.scenario.errors import ScenarioError
    except KeyboardInterrupt:
        fail(outcome.interrupted, EXIT_INTERRUPTED)

    try:
        yield outcome
    except ScenarioError as err:
        for issue in err.issues:
            errors.print(str(issue), highlight=False, soft_wrap=True, markup=False)
        n = len(err.issues)
        fail(f"{n} problem{'s' if n > 1 else ''} in the scenario; nothing was run")
    except (SimulationError, RunError, ValueError) as err:
        fail(str(err))
    except BrokenPipeError:
        _quiet_exit_after_broken_pipe()
    except PermissionError as err:
        fail(f"cannot write to {err.filename}: permission denied — choose another --out")
    except OSError as err:
        from scsim.core.files import DiskFull, is_disk_full

        if isinstance(err, DiskFull):
            fail(str(err))
        if is_disk_full(err):
            fail(str(DiskFull(err.filename or "the output")))
        fail(f"{err.strerror or err}: {err.filename or ''} — check the path and free space")
    except (KeyboardInterrupt, duckdb.InterruptException):
        fail(outcome.interrupted, EXIT_INTERRUPTED)
    except RuntimeError as err:  # DuckDB reports a query stopped by Ctrl-C as this
        if "interrupted" not in str(err):
            raise
        fail(outcome.interrupted, EXIT_INTERRUPTED)


def warnings_as_lines() -> None:
    """Print scsim's warnings (an unchecked run, ...) as one ``warning:`` line each on stderr,
    not as Python's two-line ``file:line: Category: message`` and source dump."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
        if not category.__module__.startswith("scsim"):
            return default(message, category, filename, lineno, file, line)
        text = " ".join(str(message).split())
        errors.print(f"[yellow]warning:[/] {escape(text)}", highlight=False, soft_wrap=True)

    default = warnings.showwarning
    if getattr(default, "__name__", "") != "show":
        warnings.showwarning = show


def _quiet_exit_after_broken_pipe() -> None:
    """Exit without a message when the reader of stdout has gone (``scsim query ... | head``)."""
    # Stop the interpreter's final flush failing on the closed pipe too; under click's test
    # runner stdout is not a real file and there is nothing to redirect.
    with suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


# --------------------------------------------------------------------------------------------
# Progress

PHASE_LABELS = {"preparing": "preparing (a first run compiles the kernels: ~30 s)"}


def progress_printer(mode: str) -> tuple[Callable, Callable[[str], None], Callable[[], None]]:
    """(after each epoch, as each phase begins, at the end) for the chosen display."""
    if mode == "json":

        def emit(done: int, total: int, day: dt.date) -> None:
            line = {"epoch": done, "epochs": total, "date": day.isoformat()}
            print(json.dumps(line), file=sys.stderr, flush=True)

        def emit_phase(name: str) -> None:
            print(json.dumps({"phase": name}), file=sys.stderr, flush=True)

        return emit, emit_phase, lambda: None
    if mode == "none" or not errors.is_terminal and mode == "auto":
        return (lambda *_: None), (lambda _: None), lambda: None
    bar = Progress(
        TextColumn("[bold]{task.description}[/]"),
        BarColumn(),
        TextColumn("{task.fields[day]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    )
    task = bar.add_task("starting", total=None, day="")
    bar.start()

    def update(done: int, total: int, day: dt.date) -> None:
        bar.update(task, completed=done, total=total, day=day.isoformat())

    def phase(name: str) -> None:
        bar.update(task, description=PHASE_LABELS.get(name, name))

    return update, phase, bar.stop


class RunsProgress:
    """Progress over several runs for ``--progress``: a bar across all of them (moved on every
    epoch when they run one after the other) with a line as each completes; JSON lines; or
    nothing (``none``, or ``auto`` when stderr is not a terminal). The bar appears with the
    first run, so a command that runs nothing shows none."""

    def __init__(self, mode: str, total: int, serial: bool) -> None:
        if mode == "auto":
            mode = "bar" if errors.is_terminal else "none"
        self.mode, self.total, self.serial, self.done = mode, total, serial, 0
        self.labels, self.console = PHASE_LABELS, errors
        self.clock = time.perf_counter()
        self.bar: Any = None

    def _started(self) -> Any:
        """The bar, created on first use."""
        if self.bar is None and self.mode == "bar":
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("[bold]{task.description}[/]"),
                BarColumn(),
                TextColumn("{task.fields[day]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.task = self.bar.add_task(self._label("starting"), total=self.total, day="")
            self.bar.start()
        return self.bar

    def _label(self, phase: str) -> str:
        if not self.serial:
            return f"{self.total} runs · {phase}"
        return f"run {min(self.done + 1, self.total)}/{self.total} · {phase}"

    def _json(self, line: dict[str, Any]) -> None:
        print(json.dumps(line), file=sys.stderr, flush=True)

    def epoch(self, done: int, total: int, day: dt.date) -> None:
        """After each epoch of the run in progress (serial runs only)."""
        if self.mode == "json":
            self._json({"run": self.done + 1, "runs": self.total, "epoch": done,
                        "epochs": total, "date": day.isoformat()})  # fmt: skip
        elif bar := self._started():
            bar.update(self.task, completed=self.done + done / max(total, 1), day=day.isoformat())

    def phase(self, name: str) -> None:
        """As each phase of the run in progress begins (serial runs only)."""
        if self.mode == "json":
            self._json({"run": self.done + 1, "runs": self.total, "phase": name})
        elif bar := self._started():
            first = self.done == 0 or not self.serial  # later runs find the kernels compiled
            label = self.labels.get(name, name) if first else name
            bar.update(self.task, description=self._label(label))

    def finished(self, done: int, total: int, run: Run) -> None:
        """As each run completes."""
        self.done, self.total = done, total
        elapsed = time.perf_counter() - self.clock
        if self.mode == "json":
            self._json({"run": done, "runs": total, "complete": str(run.path),
                        "seed": run.seed, "elapsed_s": round(elapsed, 3)})  # fmt: skip
        elif bar := self._started():
            bar.console.print(
                f"[green]✓[/] run {done}/{total}  seed {run.seed}  {escape(str(run.path))}  "
                f"[dim]{elapsed:.1f} s[/]",
                highlight=False,
                soft_wrap=True,
            )
            bar.update(self.task, completed=done, total=total, description=self._label("…"))

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
