"""Experiments that lose a process: a Dask worker that dies mid-case has its case run again
elsewhere with the same result, and an experiment killed with SIGKILL resumes (``--resume``)
to the same results.parquet as an experiment never interrupted.

Every population here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import scsim
from scsim.experiments import opened_executor, run_tasks

SCENARIO = "court-blacklist"
GRACE = "schemes.court.grace_days"
ARGS = {"population": 1500, "days": 300, "replicates": 2}
VALUES = [0, 15, 30, 45, 60, 90]


def _dies_once(task: tuple[str, int]) -> int:
    """Ends its worker process (as an out-of-memory kill would) the first time it sees 1."""
    marker, value = task
    if value == 1 and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return value * 10


def test_a_dask_worker_that_dies_has_its_case_run_again_elsewhere(tmp_path):
    marker = str(tmp_path / "died")
    got: dict[int, int] = {}
    with opened_executor("dask", 2) as opened:
        run_tasks(_dies_once, [(marker, v) for v in range(4)], opened, got.__setitem__)
    assert Path(marker).exists()
    assert got == {0: 0, 1: 10, 2: 20, 3: 30}


def test_an_experiment_killed_with_sigkill_resumes_to_the_same_results(tmp_path):
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "scsim", "sweep", SCENARIO, "--set",
               f"{GRACE}={','.join(map(str, VALUES))}", "-n", str(ARGS["population"]),
               "--days", str(ARGS["days"]), "-r", str(ARGS["replicates"]), "--out", str(out),
               "--metrics", "listing_rate,ever_listed_rate", "--progress", "none"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    finished = 0
    while time.monotonic() < deadline and process.poll() is None:
        finished = sum(1 for _ in out.glob(".*.partial/cases/*.parquet"))
        if finished >= 3:
            break
        time.sleep(0.05)
    assert process.poll() is None, process.stderr.read().decode()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stderr.close()
    # nothing looks complete; the finished cases are there
    assert not [p for p in out.iterdir() if not p.name.startswith(".")]
    (partial,) = out.glob(".*.partial")
    kept = len(list((partial / "cases").glob("*.parquet")))
    assert 3 <= kept < len(VALUES) * ARGS["replicates"]

    run_again: list[int] = []
    resumed = scsim.sweep(SCENARIO, {GRACE: VALUES}, **ARGS, out=out, resume=True,
                          metrics="listing_rate,ever_listed_rate",
                          on_case=lambda d, t, r: run_again.append(r["case"]))  # fmt: skip
    assert resumed.manifest["resumed"] == kept
    assert len(run_again) == len(VALUES) * ARGS["replicates"] - kept
    whole = scsim.sweep(SCENARIO, {GRACE: VALUES}, **ARGS, out=tmp_path / "whole",
                        metrics="listing_rate,ever_listed_rate")  # fmt: skip
    assert (resumed.path / "results.parquet").read_bytes() == (
        whole.path / "results.parquet"
    ).read_bytes()
