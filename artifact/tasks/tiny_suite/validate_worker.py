"""Runs INSIDE the sandbox during `oec tasks build`: applies each candidate mutation to its own
copy of a repository and runs the real pytest suite in a forked child, so pytest is imported once
per worker instead of once per mutation. Standard library + pytest only.

usage: python validate_worker.py JOBS.json RESULTS.jsonl
"""

import inspect
import json
import os
import signal
import sys
import time

# No third-party plugin discovery: it costs ~30% of a run and the suite needs none.
os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"

import _pytest.config
import pytest

# Bytecode caching stays on (pytest's rewritten test modules are the costly part of a run);
# every write of a source file gets a fresh, unique mtime, so no stale .pyc is ever used.
sys.dont_write_bytecode = False
_MTIME = [1_000_000_000]


def _write_source(path, text):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    _MTIME[0] += 1
    os.utime(path, (_MTIME[0], _MTIME[0]))


def _preload_pytest_plugins():
    # Imported once in the parent, inherited by every forked child.
    import importlib

    for name in _pytest.config.default_plugins:
        try:
            importlib.import_module(f"_pytest.{name}")
        except ImportError:
            pass


class FailureCollector:
    """Records, per failing test, the crash message and the lines of the test's own frame."""

    def __init__(self):
        self.failures = []
        self.sources = {}

    def pytest_runtest_setup(self, item):
        # The whole test function goes into the issue text: it is observable behaviour.
        try:
            self.sources[item.nodeid] = inspect.getsource(item.function)
        except (OSError, TypeError, AttributeError):
            pass

    def pytest_runtest_logreport(self, report):
        if not report.failed:
            return
        entry = {"nodeid": report.nodeid, "when": report.when, "message": "", "lines": [],
                 "source": self.sources.get(report.nodeid, "")}
        longrepr = report.longrepr
        crash = getattr(longrepr, "reprcrash", None)
        if crash is not None:
            entry["message"] = crash.message
        traceback = getattr(longrepr, "reprtraceback", None)
        entries = getattr(traceback, "reprentries", None) or []
        if entries:
            entry["lines"] = list(getattr(entries[0], "lines", []) or [])
        self.failures.append(entry)


def run_one(repo, job, timeout, log_path):
    target = os.path.join(repo, job["path"]) if job.get("path") else None
    original = None
    if target is not None:
        with open(target, encoding="utf-8") as fh:
            original = fh.read()
        _write_source(target, job["source"])
    details_path = log_path + ".json"
    start = time.time()
    pid = os.fork()
    if pid == 0:  # child: run pytest with output into the log file
        try:
            os.chdir(repo)
            fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.path.insert(0, repo)
            collector = FailureCollector()
            code = pytest.main(["-rA", "--tb=short", "-p", "no:cacheprovider", "-q"], plugins=[collector])
            with open(details_path, "w", encoding="utf-8") as fh:
                json.dump(collector.failures, fh)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(code))
        except BaseException:  # noqa: BLE001 - a forked child must never return into the parent's loop
            os._exit(99)
    timed_out = False
    status = 0
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() - start > timeout:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            timed_out = True
            break
        time.sleep(0.005)
    if original is not None:
        _write_source(target, original)
    exit_code = -1 if timed_out else os.waitstatus_to_exitcode(status)
    with open(log_path, encoding="utf-8", errors="replace") as fh:
        log = fh.read()
    failures = []
    if os.path.exists(details_path):
        with open(details_path, encoding="utf-8") as fh:
            failures = json.load(fh)
        os.unlink(details_path)
    return {"id": job["id"], "exit_code": exit_code, "timed_out": timed_out, "log": log,
            "failures": failures, "seconds": round(time.time() - start, 4)}


def main():
    jobs_path, results_path = sys.argv[1], os.path.abspath(sys.argv[2])
    with open(jobs_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    repo = os.path.abspath(spec["repo"])
    _preload_pytest_plugins()
    log_path = os.path.join(os.path.dirname(results_path), "run.log")
    with open(results_path, "w", encoding="utf-8") as out:
        for job in spec["jobs"]:
            result = run_one(repo, job, spec["timeout"], log_path)
            out.write(json.dumps(result) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
