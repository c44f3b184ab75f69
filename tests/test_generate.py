"""`oec generate`: strategies, sharding, and resume after SIGKILL."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from artifact.agent.trajectory import Trajectory
from artifact.generation.generate import GenerateConfig, parse_shard, plan_jobs
from artifact.tasks.schema import load_tasks

OEC = [sys.executable, "-m", "artifact.cli.main"]


def test_shards_partition_the_jobs(tiny_suite, tmp_path):
    tasks = load_tasks(tiny_suite / "train.jsonl")[:7]
    full = {j.path for j in plan_jobs(tasks, GenerateConfig("bc", seeds=3), tmp_path)}
    parts = [{j.path for j in plan_jobs(tasks, GenerateConfig("bc", seeds=3, shard=(i, 4)), tmp_path)}
             for i in range(4)]
    assert set().union(*parts) == full and sum(map(len, parts)) == len(full) == 21
    with pytest.raises(ValueError):
        parse_shard("4/4")


def test_unknown_strategy_and_missing_student(tiny_suite, tmp_path):
    result = subprocess.run(OEC + ["generate", "--tasks", str(tiny_suite / "train.jsonl"), "--strategy", "nope",
                                   "--out", str(tmp_path / "o")], capture_output=True, text=True, check=False)
    assert result.returncode != 0 and result.stderr.strip().splitlines() == [
        "error: unknown strategy 'nope'; choose from bc, on-policy, oec, dagger"]
    result = subprocess.run(OEC + ["generate", "--tasks", str(tiny_suite / "train.jsonl"), "--strategy", "oec",
                                   "--student", str(tmp_path), "--out", str(tmp_path / "o")],
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1
    assert "not a model folder" in result.stderr


def test_sigkill_then_rerun_gives_one_valid_trajectory_per_job(tiny_suite, tmp_path):
    out = tmp_path / "gen"
    args = OEC + ["generate", "--tasks", str(tiny_suite / "train.jsonl"), "--strategy", "bc", "--seeds", "2",
                  "--limit", "4", "--workers", "2", "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    # Kill at a random moment after the first trajectory files appear.
    traj, deadline = out / "trajectories", time.time() + 120
    while time.time() < deadline and not (traj.exists() and any(traj.glob("*.json"))):
        time.sleep(0.05)
    time.sleep(random.Random(os.getpid()).uniform(0.0, 2.0))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr
    files = sorted((out / "trajectories").glob("*.json"))
    assert len(files) == 8
    assert not list((out / "trajectories").glob(".*.tmp"))
    keys = set()
    for path in files:
        record = Trajectory.load(path)
        assert record.finished and record.report is not None
        keys.add((record.instance_id, record.strategy, record.seed))
        json.loads(path.read_text())
    assert len(keys) == 8
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["strategy"] == "bc" and "git_revision" in manifest["provenance"]


def test_the_pipeline_stops_stuck_rollouts_only_where_no_expert_follows(tmp_path, monkeypatch):
    """Settings.stuck_after reaches on-policy rollouts (and their stage key), never OEC or BC."""
    from artifact.pipeline import stages
    from artifact.pipeline.store import RunStore

    seen = {}

    def fake_generate(tasks, config, student, expert, runtime, out, *args, **kwargs):
        seen[config.strategy] = dict(config.agent)
        return []

    monkeypatch.setattr(stages, "generate", fake_generate)
    monkeypatch.setattr(stages, "role_policy", lambda *a, **k: None)
    monkeypatch.setattr(stages, "local_runtime", lambda *a, **k: None)
    monkeypatch.setattr(stages, "load_tasks", lambda path: [])
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("")
    dirs = {}
    for stuck_after in (0, 4):
        pipe = stages.Pipeline(RunStore(tmp_path / "runs"),
                               stages.Settings(stuck_after=stuck_after))
        for strategy in ("on-policy", "oec", "bc"):
            dirs[strategy, stuck_after] = pipe.rollouts(strategy, tasks, 0, student="s")
        assert seen == {"on-policy": {"stuck_after": 4} if stuck_after else {},
                        "oec": {}, "bc": {}}
    assert dirs["on-policy", 0] != dirs["on-policy", 4]  # a different stage, not a stale cache
    assert dirs["oec", 0] == dirs["oec", 4] and dirs["bc", 0] == dirs["bc", 4]
