"""Rollouts in forked worker processes (generation/worker_processes.py): the same records as
threads, failures reported in one line instead of a hang."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from artifact.agent.trajectory import Trajectory
from artifact.cli.common import local_runtime
from artifact.generation.generate import GenerateConfig, generate
from artifact.generation.worker_processes import WorkerFailed, fork_available, run_forked
from artifact.policies.factory import role_policy
from artifact.tasks.schema import load_tasks

pytestmark = pytest.mark.skipif(not fork_available(), reason="needs the fork start method")


def _record(i: int) -> Trajectory:
    return Trajectory(f"task{i}", "eval", 0, exit_status="submitted",
                      config={"pid": os.getpid(), "i": i})


def test_every_job_runs_once_in_a_worker_process():
    got = {}
    run_forked(list(range(7)), _record, 2, lambda i, record: got.setdefault(i, record))
    assert sorted(got) == list(range(7))
    assert all(record.config["i"] == i for i, record in got.items())
    pids = {record.config["pid"] for record in got.values()}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_a_failing_rollout_stops_the_run_with_one_line():
    def run(i: int) -> Trajectory:
        if i == 2:
            raise ValueError("boom\nsecond line")
        return _record(i)

    with pytest.raises(WorkerFailed) as caught:
        run_forked(list(range(5)), run, 2, lambda i, record: None)
    assert str(caught.value) == "rollout 2 failed: ValueError: boom"


def test_a_dead_worker_is_reported_instead_of_waited_for():
    def run(i: int) -> Trajectory:
        if i == 1:
            os._exit(3)  # as an out-of-memory kill would end it: no report
        return _record(i)

    finished = []
    with pytest.raises(WorkerFailed, match=r"exited \(code 3\).*rerun to resume"):
        run_forked([0, 1], run, 1, lambda i, record: finished.append(i))
    assert finished == [0]


def test_processes_and_threads_give_the_same_rollouts(tiny_suite, tmp_path):
    """The scripted expert on real tasks in the sandbox: same actions, patches and grades."""
    tasks = load_tasks(tiny_suite / "train.jsonl")[:4]
    runtime = local_runtime(tiny_suite / "train.jsonl", False)
    results = {}
    for mode in ("threads", "processes"):
        records = generate(tasks, GenerateConfig("bc"), None, role_policy("scripted", "expert"),
                           runtime, tmp_path / mode, workers=2, processes=mode == "processes")
        results[mode] = [([m["content"] for m in r.assistant_messages()], r.patch, r.resolved)
                         for r in records]
    assert results["threads"] == results["processes"]
    assert [r[2] for r in results["processes"]] == [True] * 4


def test_processes_refuse_an_endpoint(tmp_path, tiny_suite):
    for args in (["evaluate", "--model", "http://127.0.0.1:9/v1#m"],
                 ["generate", "--strategy", "oec", "--student", "http://127.0.0.1:9/v1#m"]):
        result = subprocess.run(
            [sys.executable, "-m", "artifact.cli.main", *args, "--processes",
             "--tasks", str(tiny_suite / "verified.jsonl"), "--out", str(tmp_path / "out")],
            capture_output=True, text=True, check=False, timeout=120)
        assert result.returncode != 0
        assert result.stderr.strip().splitlines() == [(
            "error: --processes is for local models and the scripted expert, not the endpoint "
            "http://127.0.0.1:9/v1#m (its rollouts wait on the network: use threads)")]
        assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_a_killed_parent(tmp_path):
    """SIGKILL runs no cleanup in the parent: its workers must not go on with the queued jobs."""
    script = (
        "import os, sys, time\n"
        "from artifact.agent.trajectory import Trajectory\n"
        "from artifact.generation.worker_processes import run_forked\n"
        "def run(i):\n"
        f"    open(os.path.join({str(tmp_path)!r}, str(os.getpid())), 'a').write(f'{{i}}\\n')\n"
        "    time.sleep(0.5)\n"
        "    return Trajectory(str(i), 'eval', 0)\n"
        "run_forked(list(range(40)), run, 2, lambda i, record: None)\n")
    parent = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 60
    while len(list(tmp_path.iterdir())) < 2 and time.time() < deadline:
        time.sleep(0.05)
    workers = [int(p.name) for p in tmp_path.iterdir()]
    assert len(workers) == 2
    parent.kill()
    parent.wait()
    deadline = time.time() + 10
    while any(_alive(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)
    done = sum(len(p.read_text().split()) for p in tmp_path.iterdir())
    time.sleep(1.0)
    assert sum(len(p.read_text().split()) for p in tmp_path.iterdir()) == done < 40


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its parent (now init) has not reaped it
