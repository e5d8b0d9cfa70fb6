"""Hash what every bundled scenario writes, so that a refactor can show it changed no result.

Runs each bundled scenario (with its full event log) through the command line, then audits and
explains one run and compares a scenario with a reform and with another scenario, and prints one
SHA-256 per output: each Parquet file byte for byte, the manifest's calibration and resolved
scenario (its timings and versions vary from run to run by design), and the audit, explain and
compare tables as the command line prints them in CSV or JSON.

    .venv/bin/python benchmarks/output_hashes.py --save before.json      # on the old commit
    .venv/bin/python benchmarks/output_hashes.py --check before.json     # on the new one

``--check`` exits 1 and names every output whose hash differs. The hashes depend on the
machine's library versions (Parquet's writer, numba's code generation), so compare two commits
on one machine, not against hashes from elsewhere.

``--content`` hashes what the outputs *say* rather than their bytes, for a change that alters
the resolved scenario but no result (a plain number turned into a dated parameter, a new key
with a default): each Parquet table's rows without the file's metadata (which holds the
scenario hash), the manifest without its scenario and hash, and the command outputs with every
run's name (``<scenario>-<hash8>-s<seed>``) reduced to its scenario and seed. Save and check
with the same mode.

    .venv/bin/python benchmarks/output_hashes.py --content --save before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCSIM = [sys.executable, "-m", "scsim"]
PARQUET = ("timeseries.parquet", "citizens.parquet", "events.parquet")
MANIFEST_KEYS = ("name", "scenario_hash", "seed", "population", "horizon", "calibration",
                 "scenario", "reforms_applied")  # fmt: skip
CONTENT_MANIFEST_KEYS = ("seed", "population", "horizon", "calibration")
RUN_HASH = re.compile(r"-[0-9a-f]{8}-s(\d+)")  # a run directory's name: <scenario>-<hash8>-s<seed>


def scsim(*args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([*SCSIM, *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"scsim {' '.join(args)} failed (exit code {proc.returncode})")
    return proc.stdout


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def text_digest(text: str, folder: str, content: bool = False) -> str:
    """The hash of a command's output with the (temporary) run folder's name taken out."""
    text = text.replace(folder, "RUNS")
    if content:
        text = RUN_HASH.sub(r"-s\1", text)
    return digest(text.encode())


def table_digest(path: Path) -> str:
    """The hash of a Parquet file's rows and column types, without the file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path).replace_schema_metadata(None).combine_chunks()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return digest(sink.getvalue().to_pybytes())


def audit_digest(text: str, folder: str, content: bool = False) -> str:
    """The hash of ``scsim audit --json`` without its timings (they vary by design)."""
    result = json.loads(text)
    result.pop("timings", None)
    return text_digest(json.dumps(result, sort_keys=True), folder, content)


def run_hashes(run_dir: Path, content: bool = False) -> dict[str, str]:
    out = {}
    for name in PARQUET:
        if (run_dir / name).is_file():
            path = run_dir / name
            out[name] = table_digest(path) if content else digest(path.read_bytes())
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    kept = {key: manifest.get(key) for key in (CONTENT_MANIFEST_KEYS if content else MANIFEST_KEYS)}
    out["manifest"] = digest(json.dumps(kept, sort_keys=True).encode())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", "-n", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=None,
                        help="Days from each scenario's start (default: the whole horizon).")  # fmt: skip
    parser.add_argument("--threads", type=int, default=None, help="NUMBA_NUM_THREADS for the runs.")
    parser.add_argument("--content", action="store_true",
                        help="Hash table contents and run names without the scenario hash.")  # fmt: skip
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--save", type=Path, help="Write the hashes to this JSON file.")
    group.add_argument("--check", type=Path, help="Compare with the hashes in this JSON file.")
    args = parser.parse_args(argv)
    content = args.content

    env = dict(os.environ)
    if args.threads:
        env["NUMBA_NUM_THREADS"] = str(args.threads)
    size = ["-n", str(args.population)] + (["--days", str(args.days)] if args.days else [])
    hashes: dict[str, str] = {}
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scsim-hashes-") as tmp:
        out = ["--out", tmp, "--progress", "none"]
        names = [line.split()[0] for line in scsim("scenarios", env=env).splitlines()[1:] if line]
        runs = {}
        for name in names:
            run_dir = Path(scsim("run", name, *size, *out, "--events", "-q", env=env).strip())
            runs[name] = run_dir
            for file, value in run_hashes(run_dir, content).items():
                hashes[f"run {name} {file}"] = value
            print(f"{name}: {len(hashes)} hashes, {time.perf_counter() - clock:.0f} s",
                  file=sys.stderr)  # fmt: skip
        court = str(runs["court-blacklist"])
        documented = str(runs["national-documented"])
        by = ("--by", "hukou,province")
        hashes["audit court-blacklist json"] = audit_digest(
            scsim("audit", court, "--json"), tmp, content
        )
        hashes["audit national-documented csv by province"] = text_digest(
            scsim("audit", documented, *by, "--csv", env=env), tmp, content
        )
        hashes["explain court-blacklist listed"] = text_digest(
            scsim("explain", court, "--pick", "listed", env={**env, "COLUMNS": "100"}), tmp, content
        )
        reform = ("court-blacklist", "--reform", "longer-grace", "--replicates", "2")
        hashes["compare court-blacklist longer-grace csv"] = text_digest(
            scsim("compare", *reform, *size, *out, "--csv", env=env), tmp, content
        )
        hashes["compare national-documented hukou-only csv"] = text_digest(
            scsim("compare", "national-documented", "hukou-only", *size, *out, "--csv", env=env),
            tmp,
            content,
        )
    print(f"{len(hashes)} hashes in {time.perf_counter() - clock:.0f} s", file=sys.stderr)

    if args.save:
        args.save.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return 0
    if args.check:
        before = json.loads(args.check.read_text(encoding="utf-8"))
        changed = sorted(k for k in before.keys() | hashes.keys() if before.get(k) != hashes.get(k))
        for key in changed:
            print(f"differs: {key}")
        print(
            f"{len(hashes) - len(changed)} of {len(before.keys() | hashes.keys())} outputs identical"
        )
        return 1 if changed else 0
    print(json.dumps(hashes, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
