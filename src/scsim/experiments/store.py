"""Experiment directories: written atomically like runs, resumable while unfinished.

```
<out>/<name>/                 complete: experiment.json (status "complete") and results.parquet
<out>/.<name>.partial/        unfinished: experiment.json (status "running"), cases/<k>.parquet
                              (one per finished case, each renamed into place when whole),
                              runs/ (with keep_runs), lock (held by the process writing it)
```

The name ends with a hash of everything that decides the results (the scenario, the design,
the run's size and end, the measures), so an unfinished experiment is found again by the same
design, and a different design never mixes its cases in. When every case is in, the cases are
joined in case order into results.parquet, experiment.json is rewritten as complete, and the
folder is renamed into place; a directory with an experiment's name is a whole experiment.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from scsim import __version__
from scsim.core.display import html_preview, listing, to_pandas
from scsim.core.files import fsync, space_for, write_text_atomic
from scsim.experiments.design import Design

FORMAT_VERSION = 1
MANIFEST = "experiment.json"
RESULTS = "results.parquet"
CASES = "cases"
RUNS = "runs"
INDICES = "indices.parquet"
CALIBRATION = "calibration.parquet"


class ExperimentError(ValueError):
    """An experiment directory that cannot be read or resumed, with what to do."""


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


def _write_text(path: Path, text: str) -> None:
    write_text_atomic(path, text)


def _write_parquet(path: Path, table: pa.Table, metadata: Mapping[str, str]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    schema = table.schema.with_metadata({k.encode(): v.encode() for k, v in metadata.items()})
    try:
        with space_for(path, table.nbytes):
            pq.write_table(table.cast(schema), tmp, compression="zstd")
            fsync(tmp)
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class ExperimentWriter:
    """The unfinished experiment ``<out>/.<name>.partial``: its cases as they finish, then
    :meth:`commit`. ``resume`` keeps the cases already there (the caller has checked that they
    are of this design); otherwise any leftover of this name is discarded first."""

    def __init__(self, out: Path, name: str, manifest: Mapping[str, Any], *, resume: bool) -> None:
        self.out, self.name = Path(out), name
        self.final_path = self.out / name
        self.path = self.out / f".{name}.partial"
        self.out.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and not resume:
            shutil.rmtree(self.path)
        (self.path / CASES).mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path / "lock", "w")  # noqa: SIM115 (held until commit or close)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ExperimentError(
                f"another scsim process is writing this experiment ({self.path}) — wait for it "
                "to finish, or stop it"
            ) from None
        self.manifest = dict(manifest)
        _write_json(self.path / MANIFEST, {**self.manifest, "status": "running"})

    @property
    def runs_path(self) -> Path:
        return self.path / RUNS

    def _case_file(self, case: int) -> Path:
        return self.path / CASES / f"{case:08d}.parquet"

    def finished(self) -> dict[int, tuple[pa.Table, dict[str, Any]]]:
        """The cases already finished here: case → (rows, its record)."""
        out = {}
        for file in sorted((self.path / CASES).glob("[0-9]*.parquet")):
            try:
                table = pq.read_table(file)
                record = json.loads(table.schema.metadata[b"scsim.case"])
            except (OSError, KeyError, ValueError, pa.ArrowException):
                file.unlink()  # unreadable: the case runs again
                continue
            out[int(file.stem)] = (table.replace_schema_metadata(None), record)
        return out

    def add(self, case: int, rows: pa.Table, record: Mapping[str, Any]) -> None:
        """Store one finished case (whole or not at all)."""
        _write_parquet(self._case_file(case), rows, {"scsim.case": json.dumps(record)})

    def commit(
        self,
        results: pa.Table,
        manifest: Mapping[str, Any],
        files: Mapping[str, pa.Table | str] | None = None,
    ) -> Path:
        """Write results.parquet (and ``files`` beside it: name → a table, or text) and the
        complete manifest, then rename into place (an existing experiment of this name is
        replaced)."""
        tables = {RESULTS: results, **(files or {})}
        for name, table in tables.items():
            if isinstance(table, str):
                _write_text(self.path / name, table)
                continue
            _write_parquet(self.path / name, table, {"scsim.version": __version__,
                                                     "scsim.experiment": self.name})  # fmt: skip
        sizes = {name: (self.path / name).stat().st_size for name in tables}
        data = {**manifest, "status": "complete", "files": sizes}
        _write_json(self.path / MANIFEST, data)
        shutil.rmtree(self.path / CASES)
        self.close()
        (self.path / "lock").unlink(missing_ok=True)
        if self.final_path.exists():
            old = self.out / f".{self.name}.old-{os.getpid()}"
            os.rename(self.final_path, old)
            os.rename(self.path, self.final_path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(self.path, self.final_path)
        with contextlib.suppress(OSError):
            fd = os.open(self.out, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
        return self.final_path

    def close(self) -> None:
        """Release the lock (the unfinished experiment stays, for --resume)."""
        if not self._lock.closed:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()


def unfinished(out: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The unfinished experiments in ``out`` with their manifests."""
    for path in sorted(Path(out).glob(".*.partial")):
        try:
            yield path, json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue


def check_version(manifest: Mapping[str, Any], where: Path) -> None:
    """Refuse an experiment written by another format or version of scsim."""
    fmt, version = manifest.get("format_version"), (manifest.get("versions") or {}).get("scsim")
    if fmt != FORMAT_VERSION:
        raise ExperimentError(
            f"experiment {where}: written in format {fmt} (by scsim {version}); this scsim "
            f"{__version__} reads format {FORMAT_VERSION} — run the experiment again"
        )


class Experiment:
    """A complete experiment directory: ``.design``, ``.results`` (a pyarrow Table; call
    ``.to_pandas()`` on it), ``.manifest`` (experiment.json), ``.query(sql)`` over ``results``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        file = self.path / MANIFEST
        if not file.is_file():
            hint = ""
            if (self.path.parent / f".{self.path.name}.partial").is_dir():
                hint = " (an unfinished one is beside it: run the same sweep with --resume)"
            raise ExperimentError(f"{self.path} is not an experiment directory{hint}")
        try:
            self.manifest: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ExperimentError(
                f"experiment {self.path}: {MANIFEST} is unreadable ({err})"
            ) from None
        check_version(self.manifest, self.path)
        if self.manifest.get("status") != "complete":
            raise ExperimentError(
                f"experiment {self.path} is not complete — run it again (with --resume)"
            )
        for name, size in (self.manifest.get("files") or {}).items():
            f = self.path / name
            if not f.is_file() or f.stat().st_size != size:
                raise ExperimentError(
                    f"experiment {self.path}: {name} is missing or of another size than its "
                    "manifest says — run the experiment again"
                )

    def __repr__(self) -> str:
        m = self.manifest
        scenario = (m.get("scenario") or {}).get("name", "?")
        design = m.get("design") or {}
        parameters = listing([str(p) for p in design.get("parameters") or []], 2)
        return (
            f"Experiment({m.get('kind', '?')} of {scenario!r}, {len(self.design):,} cases over "
            f"{parameters or 'no parameters'}, path={str(self.path)!r})"
        )

    def _repr_html_(self) -> str:
        m = self.manifest
        design = self.design
        facts = [
            ("kind", m.get("kind", "?")),
            ("scenario", (m.get("scenario") or {}).get("name", "?")),
            (
                "design",
                f"{design.method}: {len(design.points):,} points × {len(design.seeds)} seeds",
            ),
            ("parameters", ", ".join(design.parameters)),
            ("agents", f"{m.get('population') or 0:,}"),
            ("horizon", f"{m.get('start')} … {m.get('end')}"),
            ("path", self.path),
        ]
        return html_preview(f"Experiment {m.get('name', self.path.name)}", facts, self.results)

    @property
    def design(self) -> Design:
        return Design.from_dict(self.manifest["design"])

    @cached_property
    def results(self) -> pa.Table:
        """The tidy table: case, point, seed, one column per parameter, metric, category,
        group_by, group, date, value."""
        return pq.read_table(self.path / RESULTS).replace_schema_metadata(None)

    def to_pandas(self) -> Any:
        """:attr:`results` as a pandas DataFrame, dates as pandas datetimes."""
        return to_pandas(self.results)

    def to_arrow(self) -> pa.Table:
        """:attr:`results` (an Arrow table)."""
        return self.results

    @cached_property
    def indices(self) -> pa.Table:
        """A sensitivity analysis's indices: metric, category, group_by, group, parameter,
        parameter_2 (the pair's second, for S2), index, value, conf."""
        file = self.path / INDICES
        if not file.is_file():
            raise ExperimentError(
                f"experiment {self.path} is a {self.manifest.get('kind', '?')}, not a "
                "sensitivity analysis: it has no indices"
            )
        return pq.read_table(file).replace_schema_metadata(None)

    @cached_property
    def accepted(self) -> pa.Table:
        """A calibration's accepted points: point, each free parameter, and the worst target's
        distance from its range's centre in half-widths (≤ 1: within)."""
        table = self.calibration
        table = table.filter(table["accepted"])
        keys = ["point", *self.design.parameters]
        return table.group_by(keys, use_threads=False).aggregate(
            [("distance", "max")]).rename_columns([*keys, "distance"]).sort_by("point")  # fmt: skip

    @property
    def best(self) -> dict[str, float | None]:
        """A calibration's best point as ``{path: value}`` (``scenario.reform(experiment.best)``
        is the calibrated scenario)."""
        self._calibration_file()
        return dict(self.manifest["calibration_result"]["best"]["values"])

    @cached_property
    def calibration(self) -> pa.Table:
        """A calibration's table, one row per (point, target): the free parameters' values, the
        target's range, the simulated value over the seeds, the seeds within, the distance from
        the range's centre in half-widths, ``within``, and ``accepted`` (the point is within
        every target)."""
        return pq.read_table(self._calibration_file()).replace_schema_metadata(None)

    def _calibration_file(self) -> Path:
        file = self.path / CALIBRATION
        if not file.is_file():
            raise ExperimentError(
                f"experiment {self.path} is a {self.manifest.get('kind', '?')}, not a "
                "calibration: it has no accepted points"
            )
        return file

    @property
    def runs(self) -> list[Path]:
        """The kept run directories, in case order (none unless kept)."""
        return [self.path / c["run"] for c in self.manifest.get("cases", []) if c.get("run")]

    def query(self, sql: str) -> pa.Table:
        """SQL over the results (a view named ``results``), with DuckDB."""
        import duckdb

        con = duckdb.connect()
        source = str(self.path / RESULTS).replace("'", "''")
        con.execute(
            f"create view results as select * from read_parquet('{source}', "
            "hive_partitioning = false)"
        )
        relation = con.sql(sql)
        return relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else (
            relation.fetch_arrow_table())  # fmt: skip
