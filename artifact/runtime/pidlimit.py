"""A cap on the number of processes one command may create, so a fork bomb stays contained.

What works where (measured on the Debian 12 build machine, running as root, kernel 6.x):
- cgroup v1 pids controller (/sys/fs/cgroup/pids writable): the primary method. Each command
  gets its own group `oec-<uuid>` with pids.max set, removed afterwards. The command must be in
  the group *before* it can fork. bubblewrap is started blocked (--block-fd), moved in together
  with its namespace init (pid from --info-fd) and then released: process.py. Otherwise the
  calling thread moves itself into the group (v1 allows per-thread membership through `tasks`),
  spawns the child, which inherits the group, and moves back. Both keep subprocess on its fast
  vfork path (a preexec_fn would force a full fork() of a possibly multi-GB Python process).
  A move costs an RCU grace period in the kernel (measured 1-12 ms, more under load); with
  bubblewrap it overlaps the sandbox's own setup and costs nothing measurable.
- RLIMIT_NPROC (`prlimit --nproc`): the fallback, only for non-root users. The kernel never
  enforces it for real uid 0 (fork() exempts INIT_USER, with or without capabilities, and a
  user namespace does not change the host uid), which we verified: 200 background sleeps ran
  under `prlimit --nproc=150` as root. For another uid it works, but it counts every process of
  that uid on the machine, so the limit is set to (current count + max_processes).
- root without a writable pids cgroup: no cap. The pid namespace and the timeout still end a
  fork bomb, but it can exhaust the host's pid space until then; a warning is logged once.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup/pids")
log = logging.getLogger(__name__)


@functools.cache
def cgroup_available() -> bool:
    """True if we may create pids sub-groups here (tried once: mkdir + rmdir)."""
    if not (CGROUP_ROOT / "cgroup.procs").exists() or not os.access(CGROUP_ROOT, os.W_OK):
        return False
    probe = CGROUP_ROOT / f"oec-probe-{uuid.uuid4().hex}"
    try:
        probe.mkdir()
        ok = (probe / "pids.max").exists() and (probe / "tasks").exists()
        probe.rmdir()
    except OSError:
        return False
    _sweep_stale()
    return ok


def _sweep_stale(min_age: float = 120.0) -> None:
    """Remove empty groups left by processes killed in the middle of a command. A live command's
    group is empty only for the moment between its creation and the spawn."""
    now = time.time()
    for group in CGROUP_ROOT.glob("oec-*"):
        with contextlib.suppress(OSError):
            if now - group.stat().st_mtime > min_age and not (group / "cgroup.procs").read_text():
                group.rmdir()


def _thread_group() -> Path:
    """The pids group the calling thread is in now (its `tasks` file is where we go back to)."""
    for line in Path("/proc/thread-self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "pids" in controllers.split(","):
            return CGROUP_ROOT / path.lstrip("/")
    return CGROUP_ROOT


class PidsCgroup:
    """One command's pids group; close() kills what is left inside and removes the group."""

    def __init__(self, max_pids: int):
        self.path = CGROUP_ROOT / f"oec-{uuid.uuid4().hex}"
        self.path.mkdir()
        (self.path / "pids.max").write_text(str(max_pids))

    @contextlib.contextmanager
    def spawning(self) -> Iterator[None]:
        """Children created inside this block (by this thread) start in the group."""
        tid = str(threading.get_native_id())
        home = _thread_group()
        (self.path / "tasks").write_text(tid)
        try:
            yield
        finally:
            (home / "tasks").write_text(tid)

    def add(self, pid: int) -> None:
        """Move a running process into the group (its future children start inside)."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill_all(self, patience: float = 5.0, ignore: int | None = None) -> None:
        """SIGKILL everything in the group until it is empty (a fork bomb keeps refilling it)."""
        deadline = time.monotonic() + patience
        while (pids := [p for p in self.pids() if p != ignore]) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def close(self) -> None:
        """Kill what is left and remove the group. Usually immediate; if a killed process is still
        exiting (bwrap's namespace init outlives bwrap by a few ms while its namespaces are torn
        down), a background thread finishes the removal so the caller does not wait for it."""
        if not self._try_remove():
            thread = threading.Thread(target=self._remove_patiently, daemon=True)
            _pending.add(thread)
            thread.start()

    def _try_remove(self) -> bool:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        try:
            self.path.rmdir()
        except FileNotFoundError:
            pass
        except OSError:  # EBUSY: tasks still inside
            return False
        return True

    def _remove_patiently(self, patience: float = 10.0) -> None:
        deadline = time.monotonic() + patience
        try:
            while not self._try_remove():
                if time.monotonic() > deadline:
                    log.warning("could not remove %s (processes left inside)", self.path)
                    return
                time.sleep(0.005)
        finally:
            _pending.discard(threading.current_thread())


_pending: set[threading.Thread] = set()


@atexit.register
def finish_pending() -> None:
    for thread in list(_pending):
        thread.join(timeout=5)


def _tasks_of_uid(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
    return count


def rlimit_prefix(max_processes: int) -> list[str]:
    """argv prefix applying RLIMIT_NPROC (non-root only, see above); [] if it would not work."""
    prlimit = shutil.which("prlimit")
    if os.getuid() == 0 or prlimit is None:
        return []
    n = _tasks_of_uid(os.getuid()) + max_processes
    return [prlimit, f"--nproc={n}:{n}", "--"]


@functools.cache
def method() -> str | None:
    """How process counts are capped here: "cgroup", "rlimit" or None."""
    if cgroup_available():
        return "cgroup"
    if os.getuid() != 0 and shutil.which("prlimit"):
        return "rlimit"
    log.warning("no process-count cap available (root without a writable pids cgroup): "
                "a fork bomb is only stopped by the command timeout")
    return None
