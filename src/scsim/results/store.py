"""The run directory: an atomic writer, a validating reader and DuckDB views over its Parquet files.

A run lives in ``<out>/<scenario-name>-<hash8>-s<seed>/`` and holds ``manifest.json``,
``timeseries.parquet``, ``citizens.parquet`` and optionally ``events.parquet``. It is written into
a hidden sibling directory and renamed into place only once complete, so a directory with that
name and a manifest saying ``complete`` is always a whole run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import socket
import warnings
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from scsim import __version__
from scsim.core.display import html_fields, to_pandas
from scsim.core.files import DiskFull, fsync, space_for
from scsim.scenario.model import spec_from_resolved
from scsim.scenario.schema import ScenarioSpec

FORMAT_VERSION = 1

MANIFEST = "manifest.json"
TIMESERIES = "timeseries.parquet"
CITIZENS = "citizens.parquet"
EVENTS = "events.parquet"
OPTIONAL_FILES = (EVENTS,)  # a run's own files that a run may lack
# Manifest key: the optional files of the run this one replaced that it removed (an event log
# lost by a re-run without --events), so that the loss is said, not silent.
REMOVED_FROM_PREVIOUS_RUN = "removed_from_previous_run"

HASH_KEY = b"scsim.scenario_hash"
VERSION_KEY = b"scsim.version"

TIMESERIES_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("metric", pa.string()),
        ("group", pa.string()),
        ("category", pa.string()),
        ("value", pa.float64()),
    ]
)

CITIZEN_ROW_GROUP = 1 << 20  # rows per Parquet row group in citizens.parquet
COMPRESSION = "zstd"

Column = np.ndarray | tuple[np.ndarray, list[str]]


class RunError(Exception):
    """A run directory cannot be read or queried."""


class RunNotFound(RunError):
    """There is no run at the given path."""


class IncompleteRun(RunError):
    """The run exists but was never finished (interrupted, or its files are damaged)."""


class DamagedRun(IncompleteRun):
    """A file of a complete run is missing or differs from what its manifest recorded."""


class UncheckedRun(UserWarning):
    """The run was written before manifests recorded checksums: its files cannot be verified."""


class IncompatibleRun(RunError):
    """The run was written in another on-disk format version, or by a version of scsim whose
    scenarios this one cannot read."""


_HASH_CHUNK = 1 << 22
_verified: dict[tuple[str, int, int], str] = {}


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verified_sha256(path: Path, stat: os.stat_result) -> str:
    """The file's SHA-256, computed once per process for a given path, mtime and size."""
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _verified:
        _verified[key] = sha256_file(path)
    return _verified[key]


class RunFileTarget(RunError):
    """An output path that would overwrite a file of a run (one its manifest lists, or the manifest)."""


def refuse_run_file(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """``path``, unless writing it would overwrite the manifest or a file a run's manifest lists."""
    target = Path(path)
    folder = target.parent.resolve()
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return target
    if target.name == MANIFEST:
        listed = True
    else:
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            data = {}
        files = data.get("files") if isinstance(data, dict) else None
        listed = target.name in (files or {}) or target.name in (TIMESERIES, CITIZENS, EVENTS)
    if listed:
        raise RunFileTarget(
            f"{option} {target} would overwrite a file of the run in {folder} — "
            f"write elsewhere, e.g. {option} {folder.parent / (folder.name + '-' + target.stem)}"
            f"{target.suffix or '.csv'}"
        )
    return target


def run_dir_name(scenario_name: str, scenario_hash: str, seed: int) -> str:
    """The directory name of a run: ``<name>-<hash8>-s<seed>``."""
    return f"{scenario_name}-{scenario_hash[:8]}-s{seed}"


# --------------------------------------------------------------------------------------------
# Writing


def _json_default(obj: Any) -> Any:
    """Make numpy scalars/arrays, dates, paths and sets JSON-serialisable."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, dt.date | dt.datetime | dt.time):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=str)
    raise TypeError(f"manifest value of type {type(obj).__name__} is not JSON-serialisable")


def _with_metadata(schema: pa.Schema, scenario_hash: str) -> pa.Schema:
    """The schema with the scsim key-value metadata added."""
    meta = dict(schema.metadata or {})
    meta[HASH_KEY] = scenario_hash.encode()
    meta[VERSION_KEY] = __version__.encode()
    return schema.with_metadata(meta)


def _index_dtype(n_labels: int) -> type[np.signedinteger]:
    """The smallest signed integer dtype that indexes ``n_labels`` labels."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_labels <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def _check_categorical(name: str, codes: np.ndarray, labels: list[str]) -> None:
    """Reject codes outside ``[-1, len(labels))``; -1 marks a missing value."""
    if codes.dtype.kind not in "iu":
        raise TypeError(f"column '{name}': categorical codes must be integers, not {codes.dtype}")
    if codes.size and (codes.min() < -1 or codes.max() >= len(labels)):
        raise ValueError(
            f"column '{name}': codes range {codes.min()}..{codes.max()} but there are "
            f"{len(labels)} labels (use -1 for missing)"
        )


def _categorical(codes: np.ndarray, labels: pa.Array) -> pa.DictionaryArray:
    """A dictionary array from integer codes; negative codes become nulls."""
    mask = codes < 0 if codes.dtype.kind == "i" else None
    if mask is not None and not mask.any():
        mask = None
    indices = pa.array(codes.astype(_index_dtype(len(labels)), copy=False), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, labels)


def _column_length(value: Column) -> int:
    """The number of rows in one caller column."""
    return len(value[0]) if isinstance(value, tuple) else len(value)


def _to_arrow(value: Column, start: int, stop: int, labels: pa.Array | None) -> pa.Array:
    """Rows ``[start, stop)`` of one caller column as an Arrow array."""
    if isinstance(value, tuple):
        assert labels is not None
        return _categorical(np.asarray(value[0])[start:stop], labels)
    return pa.array(np.asarray(value)[start:stop])


def _prepare_columns(columns: Mapping[str, Column]) -> tuple[int, dict[str, pa.Array | None]]:
    """Check the columns share one length and pre-build dictionaries of categoricals."""
    lengths = {name: _column_length(v) for name, v in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"columns differ in length: {lengths}")
    labels: dict[str, pa.Array | None] = {}
    for name, value in columns.items():
        if isinstance(value, tuple):
            codes, names = np.asarray(value[0]), list(value[1])
            _check_categorical(name, codes, names)
            labels[name] = pa.array(names, type=pa.string())
        else:
            labels[name] = None
    return next(iter(lengths.values()), 0), labels


def _fsync(path: Path) -> None:
    """Flush a file or directory to stable storage (best effort)."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _remove(path: Path) -> None:
    """Remove a file or directory tree."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


WRITER = ".writer.json"  # in a partial folder: which host and process writes it, since when
# A partial folder written from another host (a shared disk) is stale only when this old: its pid
# cannot be checked from here.
FOREIGN_STALE_AFTER = dt.timedelta(hours=24)


def _writer_of(folder: Path) -> dict[str, Any]:
    """The writer record of a partial folder (host, pid, started), or {} if it has none."""
    try:
        data = json.loads((folder / WRITER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _writer_state(folder: Path, marker: str) -> tuple[bool, str]:
    """(may its writer still be running, why we think so) for one hidden partial folder."""
    if marker == ".old-":
        return False, "an old run set aside while a new one replaced it"
    writer = _writer_of(folder)
    pid = writer.get("pid")
    if not isinstance(pid, int):
        field = folder.name.split(marker, 1)[1].split("-")[0]
        pid = int(field) if field.isdigit() else None
    host = writer.get("host")
    if host and host != socket.gethostname():
        try:
            started = dt.datetime.fromisoformat(str(writer.get("started")))
        except ValueError:
            started = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC)
        age = dt.datetime.now(dt.UTC) - started
        if age > FOREIGN_STALE_AFTER:
            return False, f"written by pid {pid} on {host}, started {_age(age)} ago"
        return True, f"written by pid {pid} on {host} (another host), started {_age(age)} ago"
    if pid is None:
        return True, "its writer is unknown"
    where = f" on {host}" if host else ""
    if _pid_alive(pid):
        return True, f"its writer, pid {pid}{where}, is still running"
    return False, f"its writer, pid {pid}{where}, is no longer running"


def _age(age: dt.timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{age.total_seconds() / 60:.0f} min"


def _experiment_state(folder: Path) -> tuple[bool, str]:
    """(may its writer still be running, why) for an unfinished experiment ``.<name>.partial``:
    its writer holds an exclusive lock on its ``lock`` file while it runs."""
    import fcntl

    resume = "an unfinished experiment: the same command with --resume continues it"
    try:
        with open(folder / "lock", "rb") as lock:  # flock needs no write access
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(lock, fcntl.LOCK_UN)
    except BlockingIOError:
        return True, "an experiment still being written (its writer holds its lock)"
    except OSError:
        return False, resume
    return False, resume


def leftovers(root: str | os.PathLike[str]) -> list[tuple[Path, bool, str]]:
    """The hidden partial (``.<name>.partial-<pid>-…``) and old (``.<name>.old-…``) folders
    in ``root``, each with whether its writer may still be running and why: a partial is stale
    when its pid is not alive on this host, or, written on another host, when it is older than
    a day. An unfinished experiment (``.<name>.partial``) is listed too: stale when no process
    holds its lock (it can still be resumed)."""
    found = []
    for path in sorted(Path(root).glob(".*")):
        if not path.is_dir():
            continue
        if path.name.endswith(".partial"):
            found.append((path, *_experiment_state(path)))
            continue
        for marker in (".partial-", ".old-"):
            if marker in path.name:
                alive, why = _writer_state(path, marker)
                found.append((path, alive, why))
    return found


def remove_leftovers(root: str | os.PathLike[str]) -> list[Path]:
    """Delete the leftovers in ``root`` whose writer is gone; return what was removed."""
    removed = []
    for path, alive, _ in leftovers(root):
        if not alive:
            _remove(path)
            removed.append(path)
    return removed


class RunWriter:
    """Write one run directory atomically: use as a context manager and call ``commit()``."""

    def __init__(self, out_root: Path, name: str, *, scenario_hash: str) -> None:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"invalid run directory name {name!r}")
        self.out_root = Path(out_root)
        self.name = name
        self.scenario_hash = scenario_hash
        self.final_path = self.out_root / name
        self._token = f"{os.getpid()}-{secrets.token_hex(3)}"  # unique even within a process
        self.tmp_path = self.out_root / f".{name}.partial-{self._token}"
        self._written: set[str] = set()
        self._done = False
        self.out_root.mkdir(parents=True, exist_ok=True)
        self._remove_stale()
        with space_for(self.tmp_path):
            self.tmp_path.mkdir()
            try:
                writer = {
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                }
                (self.tmp_path / WRITER).write_text(json.dumps(writer) + "\n", encoding="utf-8")
            except BaseException:
                shutil.rmtree(self.tmp_path, ignore_errors=True)
                raise

    def _remove_stale(self) -> None:
        """Delete leftovers of this run name from processes that died (e.g. killed -9)."""
        for marker in (".partial-", ".old-"):
            for path in self.out_root.glob(f".{self.name}{marker}*"):
                alive, _ = _writer_state(path, marker)
                if not alive and (marker == ".partial-" or self._old_is_dead(path)):
                    with contextlib.suppress(OSError):
                        _remove(path)

    def _old_is_dead(self, path: Path) -> bool:
        """Whether the process that set this old run aside is gone (it may still be moving the
        user's files out of it)."""
        pid = path.name.split(".old-", 1)[1].split("-")[0]
        return pid.isdigit() and not _pid_alive(int(pid))

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._done:
            self.abort(exc)

    def _check_open(self, filename: str) -> Path:
        """The temp path of ``filename``, refusing writes after commit/abort or twice."""
        if self._done:
            raise RuntimeError("this RunWriter is closed (committed or aborted)")
        if filename in self._written:
            raise RuntimeError(f"{filename} was already written")
        return self.tmp_path / filename

    def write_timeseries(self, table: pa.Table) -> None:
        """Write the tidy time series (date, metric, group, category, value)."""
        path = self._check_open(TIMESERIES)
        if sorted(table.column_names) != sorted(TIMESERIES_SCHEMA.names):
            raise ValueError(
                f"timeseries columns are {table.column_names}, expected {TIMESERIES_SCHEMA.names}"
            )
        table = table.select(TIMESERIES_SCHEMA.names).cast(TIMESERIES_SCHEMA)
        table = table.replace_schema_metadata(
            _with_metadata(table.schema, self.scenario_hash).metadata
        )
        with space_for(path, table.nbytes):
            pq.write_table(table, path, compression=COMPRESSION)
        self._written.add(TIMESERIES)

    def write_citizens(self, columns: Mapping[str, Column]) -> None:
        """Write one row per agent: ``id`` first, then the given columns, in zstd row groups.

        A column is a numpy array, or ``(codes, labels)`` for a categorical (code -1 = missing),
        written as a dictionary column. Without an ``id`` column, ids are ``0..n-1``.
        """
        path = self._check_open(CITIZENS)
        n, labels = _prepare_columns(columns)
        ordered: dict[str, Column] = {"id": np.asarray(columns.get("id", np.arange(n)))}
        ordered.update((k, v) for k, v in columns.items() if k != "id")
        labels.setdefault("id", None)
        if ordered["id"].dtype != np.int64:
            ordered["id"] = ordered["id"].astype(np.int64)
        first = self._citizen_batch(ordered, labels, 0, min(n, CITIZEN_ROW_GROUP))
        schema = _with_metadata(first.schema, self.scenario_hash)
        needed = first.nbytes * max(1, -(-n // CITIZEN_ROW_GROUP))
        with (
            space_for(path, needed),
            pq.ParquetWriter(path, schema, compression=COMPRESSION) as writer,
        ):
            writer.write_batch(first, row_group_size=CITIZEN_ROW_GROUP)
            for start in range(CITIZEN_ROW_GROUP, n, CITIZEN_ROW_GROUP):
                stop = min(n, start + CITIZEN_ROW_GROUP)
                batch = self._citizen_batch(ordered, labels, start, stop)
                writer.write_batch(batch, row_group_size=CITIZEN_ROW_GROUP)
        self._written.add(CITIZENS)

    @staticmethod
    def _citizen_batch(
        columns: Mapping[str, Column], labels: Mapping[str, pa.Array | None], start: int, stop: int
    ) -> pa.RecordBatch:
        """Rows ``[start, stop)`` of all citizen columns as one record batch."""
        arrays = [_to_arrow(v, start, stop, labels[k]) for k, v in columns.items()]
        return pa.RecordBatch.from_arrays(arrays, names=list(columns))

    def write_events(self, table: pa.Table | Mapping[str, Column]) -> None:
        """Write the optional event log (a table, or a dict of columns like ``write_citizens``)."""
        path = self._check_open(EVENTS)
        if not isinstance(table, pa.Table):
            n, labels = _prepare_columns(table)
            table = pa.Table.from_batches([self._citizen_batch(table, labels, 0, n)])
        table = table.replace_schema_metadata(
            _with_metadata(table.schema, self.scenario_hash).metadata
        )
        with space_for(path, table.nbytes):
            pq.write_table(table, path, compression=COMPRESSION, row_group_size=CITIZEN_ROW_GROUP)
        self._written.add(EVENTS)

    def commit(self, manifest: Mapping[str, Any]) -> Path:
        """Write manifest.json (status complete), move the run into place and return its path."""
        if self._done:
            raise RuntimeError("this RunWriter is closed (committed or aborted)")
        missing = [f for f in (TIMESERIES, CITIZENS) if f not in self._written]
        if missing:
            raise RuntimeError(f"cannot commit the run: {', '.join(missing)} not written")
        given_hash = manifest.get("scenario_hash", self.scenario_hash)
        if given_hash != self.scenario_hash:
            raise ValueError(
                f"manifest scenario_hash {given_hash!r} differs from the writer's "
                f"{self.scenario_hash!r}"
            )
        for name in sorted(self._written):
            with space_for(self.tmp_path / name):
                fsync(self.tmp_path / name)  # a full disk can surface only here
        data = dict(manifest)
        data["scenario_hash"] = self.scenario_hash
        data["format_version"] = FORMAT_VERSION
        data["files"] = {n: (self.tmp_path / n).stat().st_size for n in sorted(self._written)}
        data["sha256"] = {n: sha256_file(self.tmp_path / n) for n in sorted(self._written)}
        data["written_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        data["status"] = "complete"
        removed = self._removed_from_previous_run()
        if removed:
            data[REMOVED_FROM_PREVIOUS_RUN] = removed
        self._write_manifest(data)
        with contextlib.suppress(FileNotFoundError):
            (self.tmp_path / WRITER).unlink()
        self._move_into_place()
        self._done = True
        return self.final_path

    def _removed_from_previous_run(self) -> list[str]:
        """The run's own optional files that the run now in place has and this one has not
        (its event log): the swap removes them, and the manifest says so."""
        return [
            name
            for name in OPTIONAL_FILES
            if name not in self._written and (self.final_path / name).is_file()
        ]

    def abort(self, exc: BaseException | None = None) -> None:
        """Discard the partial run; if it cannot be removed, mark it incomplete."""
        if self._done:
            return
        self._done = True
        try:
            _remove(self.tmp_path)
        except FileNotFoundError:
            pass
        except OSError:
            reason = f"{type(exc).__name__}: {exc}" if exc is not None else "aborted"
            with contextlib.suppress(OSError):
                self._write_manifest(
                    {
                        "status": "incomplete",
                        "format_version": FORMAT_VERSION,
                        "scenario_hash": self.scenario_hash,
                        "error": reason,
                    }
                )

    def _write_manifest(self, data: Mapping[str, Any]) -> None:
        """Write manifest.json into the temp dir via a temp file and rename."""
        tmp = self.tmp_path / f".{MANIFEST}.tmp"
        text = json.dumps(data, indent=2, ensure_ascii=False, default=_json_default)
        with space_for(self.tmp_path / MANIFEST, len(text)):
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(text + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.tmp_path / MANIFEST)

    def _move_into_place(self) -> None:
        """Rename the temp dir to the final name, swapping out any previous run."""
        try:
            with space_for(self.final_path):
                os.rename(self.tmp_path, self.final_path)
        except OSError as exc:
            if isinstance(exc, DiskFull) or (
                not self.final_path.exists() and not self.final_path.is_symlink()
            ):
                raise
            self._swap_into_place()
        _fsync(self.out_root)

    def _swap_into_place(self) -> None:
        """Replace an existing final dir: old aside, new in, old deleted."""
        old = self.out_root / f".{self.name}.old-{self._token}"
        os.rename(self.final_path, old)
        try:
            os.rename(self.tmp_path, self.final_path)
        except OSError:
            os.rename(old, self.final_path)
            raise
        try:
            self._keep_user_files(old)
        except OSError:
            return  # the old directory stays, hidden, with the files that could not be moved
        with contextlib.suppress(OSError):
            _remove(old)

    def _keep_user_files(self, old: Path) -> None:
        """Move what the user wrote into the old run (a report.html, an audit, notes: anything
        that is not one of the run's own files) into the new one, so a re-run never deletes it."""
        own = {MANIFEST, TIMESERIES, CITIZENS, EVENTS}
        for entry in sorted(old.iterdir()):
            target = self.final_path / entry.name
            if entry.name not in own and not target.exists():
                os.rename(entry, target)


# --------------------------------------------------------------------------------------------
# Reading


def _sql_str(value: object) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _sql_num(value: object) -> str:
    """A SQL numeric literal, or NULL."""
    if value is None or isinstance(value, bool):
        return "NULL"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "NULL"
    return repr(number) if np.isfinite(number) else "NULL"


def _runs_below(path: Path, limit: int = 5) -> list[str]:
    """Names of run directories directly inside ``path`` (to hint at a likely mistake)."""
    try:
        found = sorted(p.name for p in path.iterdir() if (p / MANIFEST).is_file())
    except OSError:
        return []
    return found[:limit] + (["…"] if len(found) > limit else [])


def _arrow_table(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """A DuckDB relation as an Arrow table, across DuckDB versions."""
    to_table = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
    return to_table()


class Run:
    """A complete run directory, opened for reading and querying."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.manifest: dict[str, Any] = self._load_manifest()
        self._check_files()

    def __repr__(self) -> str:
        pop = self.population
        agents = f", {pop['n_agents']:,} agents" if pop.get("n_agents") else ""
        horizon = self.manifest.get("horizon") or {}
        dates = f", {horizon['start']}…{horizon['end']}" if horizon.get("start") else ""
        return f"Run({self.name!r}, seed={self.seed}{agents}{dates}, path={str(self.path)!r})"

    def _repr_html_(self) -> str:
        pop = self.population
        horizon = self.manifest.get("horizon") or {}
        files = [TIMESERIES, CITIZENS] + ([EVENTS] if self.has_events else [])
        return html_fields(
            f"Run of {self.name}",
            [
                ("path", self.path),
                ("scenario hash", self.hash8),
                ("seed", self.seed),
                ("agents", f"{pop.get('n_agents') or 0:,}"),
                ("persons per agent", f"{self.weight:,.0f}" if self.weight else "?"),
                ("horizon", f"{horizon.get('start')} … {horizon.get('end')}"),
                (
                    "reforms applied",
                    "; ".join(self.manifest.get("reforms_applied") or []) or "none",
                ),
                ("tables", ", ".join(f.removesuffix(".parquet") for f in files)),
            ],
        )

    # The verbs above this box, called on a run (imported when called: the audit and the report
    # sit above the results box, which must not depend on them to load).

    def audit(self, by: str | list[str] | None = None, **options: Any) -> Any:
        """:func:`scsim.audit` of this run: an AuditTable (``favourable``, … as there)."""
        from scsim.audit.metrics import audit

        return audit(self, by, **options)

    def report(self, out: str | os.PathLike[str] | None = None, **options: Any) -> Path:
        """:func:`scsim.report` of this run (``compare=`` another run): writes the HTML report
        (default ``<run>/report.html``) and returns its path."""
        from scsim.report.write import write_report

        return write_report(self, out, **options)

    def summary(self) -> dict[str, Any]:
        """The headline numbers ``scsim show`` prints, as a plain dict."""
        from scsim.results.summary import summarize

        return summarize(self)

    def to_pandas(self, table: str = "timeseries", columns: list[str] | None = None) -> Any:
        """One of the run's tables (``timeseries``, ``citizens`` or ``events``) as a pandas
        DataFrame, dates as pandas datetimes."""
        return to_pandas(self.to_arrow(table, columns))

    def to_arrow(self, table: str = "timeseries", columns: list[str] | None = None) -> pa.Table:
        """One of the run's tables (``timeseries``, ``citizens`` or ``events``) as Arrow."""
        files = {"timeseries": TIMESERIES, "citizens": CITIZENS, "events": EVENTS}
        if table == "events" and not self.has_events:
            raise RunError(f"run {self.path} has no event log ({EVENTS})")
        if table in files:
            return pq.read_table(self.path / files[table], columns=columns)
        raise RunError(f"a run has the tables timeseries, citizens and events, not {table!r}")

    def _load_manifest(self) -> dict[str, Any]:
        """Read and validate manifest.json."""
        if not self.path.is_dir():
            what = "is not a directory" if self.path.exists() else "does not exist"
            raise RunNotFound(f"no run at {self.path}: the path {what} — check the path")
        file = self.path / MANIFEST
        if not file.is_file():
            runs = _runs_below(self.path)
            if runs:
                raise RunNotFound(
                    f"{self.path} is not a run directory but holds runs — pick one: "
                    + ", ".join(runs)
                )
            raise RunNotFound(
                f"no run at {self.path}: there is no {MANIFEST} — not a run directory"
            )
        try:
            manifest = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IncompleteRun(
                f"run {self.path}: {MANIFEST} cannot be read ({exc}) — the run is damaged; "
                "run it again"
            ) from None
        if not isinstance(manifest, dict):
            raise IncompleteRun(f"run {self.path}: {MANIFEST} is not a JSON object; run it again")
        status = manifest.get("status")
        if status != "complete":
            raise IncompleteRun(
                f"run {self.path}: status is {status!r} — the run was interrupted or is still "
                "being written; run it again"
            )
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise IncompatibleRun(
                f"run {self.path} uses run format version {version!r}, this scsim "
                f"({__version__}) reads version {FORMAT_VERSION} — re-run the scenario with "
                "this version of scsim"
            )
        return manifest

    def _check_files(self) -> None:
        """Every file the manifest lists must exist with the recorded size and checksum."""
        sizes = self.manifest.get("files") or {}
        checksums = self.manifest.get("sha256")
        for name in (TIMESERIES, CITIZENS):
            if name not in sizes and not (self.path / name).is_file():
                raise self._damaged(name, "is missing")
        for name, size in sizes.items():
            file = self.path / name
            if not file.is_file():
                raise self._damaged(name, "is missing")
            stat = file.stat()
            if size is not None and stat.st_size != size:
                raise self._damaged(
                    name,
                    f"has {stat.st_size} bytes, the manifest says {size} — the file was changed or truncated",
                )
            if checksums is None:
                continue
            expected = checksums.get(name)
            if expected is None:
                raise self._damaged(name, "has no checksum in the manifest")
            try:
                actual = _verified_sha256(file, stat)
            except OSError as exc:
                raise self._damaged(name, f"cannot be read ({exc.strerror or exc})") from None
            if actual != expected:
                raise self._damaged(name, "differs from its checksum in the manifest (changed)")
            if name.endswith(".parquet"):
                try:
                    pq.read_metadata(file)
                except (OSError, pa.ArrowException) as exc:
                    raise self._damaged(name, f"has an unreadable Parquet footer ({exc})") from None
        if checksums is None:
            warnings.warn(
                f"run {self.path} was written before manifests recorded checksums, so its "
                "files cannot be verified — run it again to record them",
                UncheckedRun,
                stacklevel=3,
            )

    def _damaged(self, name: str, what: str) -> DamagedRun:
        return DamagedRun(f"run {self.path} is damaged: {name} {what} — run it again")

    @property
    def name(self) -> str:
        """The scenario name."""
        scenario = self.manifest.get("scenario")
        if isinstance(scenario, dict) and scenario.get("name"):
            return str(scenario["name"])
        if self.manifest.get("name"):
            return str(self.manifest["name"])
        return self.path.name.rsplit("-", 2)[0]

    @cached_property
    def scenario(self) -> ScenarioSpec:
        """The run's scenario, typed: rebuilt from the resolved scenario in its manifest (the one
        reader of a run's scenario for the audit, explain and the report). Raises
        IncompatibleRun when the manifest holds none or one this version cannot read."""
        data = self.manifest.get("scenario")
        if not isinstance(data, dict):
            raise IncompatibleRun(
                f"run {self.path}: the manifest holds no scenario — this version of scsim "
                "cannot read the run's scenario; run it again"
            )
        try:
            return spec_from_resolved(data)
        except ValueError as err:
            raise IncompatibleRun(
                f"run {self.path}: this version of scsim ({__version__}) cannot read the run's "
                f"scenario ({err}) — run it again with this version"
            ) from None

    @property
    def scenario_hash(self) -> str:
        """The full scenario hash."""
        return str(self.manifest.get("scenario_hash", ""))

    @property
    def hash8(self) -> str:
        """The first eight characters of the scenario hash."""
        return self.scenario_hash[:8]

    @property
    def seed(self) -> int | None:
        """The seed of the run."""
        seed = self.manifest.get("seed")
        return int(seed) if seed is not None else None

    @property
    def population(self) -> dict[str, Any]:
        """The population block of the manifest (n_agents, real_population, …)."""
        return dict(self.manifest.get("population") or {})

    @property
    def weight(self) -> float | None:
        """Real persons per agent."""
        pop = self.population
        if pop.get("weight") is not None:
            return float(pop["weight"])
        if pop.get("n_agents") and pop.get("real_population") is not None:
            return float(pop["real_population"]) / float(pop["n_agents"])
        return None

    @property
    def has_events(self) -> bool:
        """Whether the run carries an event log."""
        return (self.path / EVENTS).is_file()

    @property
    def removed_from_previous_run(self) -> list[str]:
        """Files of the run this one replaced that writing it removed (``events.parquet`` when
        a run with an event log was re-run without one)."""
        removed = self.manifest.get(REMOVED_FROM_PREVIOUS_RUN) or []
        return [str(name) for name in removed] if isinstance(removed, list) else []

    def file(self, name: str) -> Path:
        """The path of one file in the run directory."""
        return self.path / name

    def parquet_metadata(self, name: str) -> dict[str, str]:
        """The scsim key-value metadata of one Parquet file."""
        meta = pq.read_schema(self.path / name).metadata or {}
        return {k.decode(): v.decode() for k, v in meta.items() if k.startswith(b"scsim.")}

    def timeseries(self) -> pa.Table:
        """The tidy time series."""
        return pq.read_table(self.path / TIMESERIES)

    def citizens(self, columns: list[str] | None = None) -> pa.Table:
        """The citizens snapshot (all columns, or the ones named)."""
        return pq.read_table(self.path / CITIZENS, columns=columns)

    def events(self) -> pa.Table:
        """The event log; raises RunError if the run has none."""
        if not self.has_events:
            raise RunError(f"run {self.path} has no event log ({EVENTS})")
        return pq.read_table(self.path / EVENTS)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with views over this run's files and its manifest."""
        con = duckdb.connect(":memory:")
        views = [TIMESERIES, CITIZENS] + ([EVENTS] if self.has_events else [])
        for filename in views:
            view = filename.removesuffix(".parquet")
            source = _sql_str(self.path.resolve() / filename)
            con.execute(
                f"CREATE VIEW {view} AS SELECT * FROM read_parquet({source}, hive_partitioning = false)"
            )
        pop = self.population
        con.execute(
            "CREATE VIEW manifest AS SELECT "
            f"{_sql_str(self.name)} AS name, "
            f"{_sql_str(self.scenario_hash)} AS scenario_hash, "
            f"CAST({_sql_num(self.seed)} AS BIGINT) AS seed, "
            f"CAST({_sql_num(pop.get('n_agents'))} AS BIGINT) AS n_agents, "
            f"CAST({_sql_num(pop.get('real_population'))} AS DOUBLE) AS real_population, "
            f"CAST({_sql_num(self.weight)} AS DOUBLE) AS weight"
        )
        return con

    def query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Run SQL against the run's views; a DuckDB error becomes ``RunError``.

        A query reads the run and nothing else, and writes nothing: only SELECT (and EXPLAIN)
        statements run, on a connection that may open no file but the run's own tables.
        """
        con = self.connect()
        try:
            for statement in con.extract_statements(sql):
                if statement.type not in READ_ONLY_STATEMENTS:
                    kind = statement.type.name.replace("_", " ")
                    article = "an" if kind[0] in "AEIOU" else "a"
                    raise RunError(
                        f"query reads a run and writes nothing: {article} {kind} statement is not "
                        "allowed — run SELECT statements, and save a result with "
                        "`scsim query RUN SQL --csv > result.csv`"
                    )
            files = [TIMESERIES, CITIZENS] + ([EVENTS] if self.has_events else [])
            allowed = ", ".join(_sql_str(self.path.resolve() / f) for f in files)
            con.execute(f"SET allowed_paths = [{allowed}]")
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            relation = con.sql(sql, params=params)
            return _arrow_table(relation) if relation is not None else pa.table({})
        except duckdb.Error as exc:
            raise RunError(f"query failed: {exc}") from None
        finally:
            con.close()


READ_ONLY_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)


def arrow_kind(type_: pa.DataType) -> str:
    """How a column of a run's tables reads in rules: "bool", "number", "category" or "other"."""
    if pa.types.is_boolean(type_):
        return "bool"
    if pa.types.is_integer(type_) or pa.types.is_floating(type_):
        return "number"
    if pa.types.is_dictionary(type_) or pa.types.is_string(type_):
        return "category"
    return "other"
