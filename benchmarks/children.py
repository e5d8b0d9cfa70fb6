"""What the audit and report benchmarks share: each measurement runs in a fresh interpreter (a
"child", so that its peak memory is its own), reporting to the parent through a JSON file."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GB = 1e9  # decimal gigabytes; ru_maxrss is KiB on Linux


def rss_gb() -> float:
    """This process's peak resident memory so far, in GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB


def simulate_child(spec: dict[str, Any]) -> int:
    """Child: simulate a scenario and report its run directory."""
    import scsim

    run = scsim.simulate(
        spec["scenario"], population=spec["population"], days=spec["days"], out=spec["out"]
    )
    Path(spec["result"]).write_text(json.dumps({"run_dir": str(run.path)}), encoding="utf-8")
    return 0


def run_child(script: str, mode: str, spec: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """Run ``script --<mode>-child SPEC`` in a fresh interpreter; returns its result and the
    wall time of the whole subprocess."""
    with tempfile.TemporaryDirectory(prefix=f"scsim-{mode}-bench-") as tmp:
        result = Path(tmp) / "result.json"
        spec = {**spec, "result": str(result)}
        cmd = [sys.executable, str(Path(script).resolve()), f"--{mode}-child", json.dumps(spec)]
        clock = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall_s = time.perf_counter() - clock
        if proc.returncode != 0 or not result.is_file():
            sys.stderr.write(proc.stderr or proc.stdout)
            raise SystemExit(f"the {mode} subprocess failed (exit code {proc.returncode})")
        return json.loads(result.read_text(encoding="utf-8")), wall_s


def machine() -> dict[str, Any]:
    """What the measurements ran on."""
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "numba_threads": os.environ.get("NUMBA_NUM_THREADS"),
    }
