"""An experiment killed with SIGKILL resumes (``--resume``) to the same results.parquet as an
experiment never interrupted. (A worker that dies mid-case: tests/test_experiments_sweep.py.)

Every population here is synthetic; nothing reads records about real persons.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import scsim

SCENARIO = "court-blacklist"
GRACE = "schemes.court.grace_days"
ARGS = {"population": 1500, "days": 300, "replicates": 2}
VALUES = [0, 15, 30, 45, 60, 90]


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
