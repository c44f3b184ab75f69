"""Run one process with merged output, an output cap, a timeout that kills the whole tree, and an
optional pids cgroup. Shared by every sandbox mechanism (and by the unsafe no-sandbox mode)."""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import json
import os
import selectors
import signal
import subprocess
import time

from artifact.runtime.base import CommandResult
from artifact.runtime.pidlimit import PidsCgroup

CHUNK = 1 << 16
PIPE_SIZE = 1 << 20  # a bigger pipe means fewer wake-ups when a command floods its output
EXIT_POLL = 0.05  # without pidfd: how often we check whether the command has exited
DRAIN_AFTER_KILL = 1.0  # seconds to collect output already in the pipe after a kill


class CappedText:
    """Keeps the first `cap` characters of a byte stream decoded as UTF-8 and counts the rest
    without storing it, so 100 MB of output costs `cap` characters of memory."""

    def __init__(self, cap: int):
        self.cap = cap
        self.parts: list[str] = []
        self.kept = 0
        self.total = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes, final: bool = False) -> None:
        text = self._decoder.decode(data, final)
        self.total += len(text)
        room = self.cap - self.kept
        if room > 0 and text:
            piece = text[:room]
            self.parts.append(piece)
            self.kept += len(piece)

    @property
    def truncated(self) -> bool:
        return self.total > self.cap

    def text(self) -> str:
        out = "".join(self.parts)
        if self.truncated:
            out += ("" if out.endswith("\n") else "\n") + (
                f"[output truncated: {self.total} characters total, showing the first {self.cap}]")
        return out


def _has_exited(pid: int) -> bool:
    # WNOWAIT leaves the zombie in place: its pid (and so our process group id) cannot be reused
    # by an unrelated process before we are done signalling the group.
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _popen(argv: list[str], cwd: str, env: dict[str, str], **kw) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, **kw)


def _spawn_bwrap_in(cgroup: PidsCgroup, argv: list[str], cwd: str, env: dict[str, str],
                    deadline: float) -> subprocess.Popen:
    """Start bubblewrap blocked before it runs the command, move it and its namespace init into
    the group (the kernel's slow part of that overlaps bwrap's own setup), then release it."""
    info_r, info_w = os.pipe()
    block_r, block_w = os.pipe()
    try:
        try:
            proc = _popen([argv[0], "--info-fd", str(info_w), "--block-fd", str(block_r),
                           *argv[1:]], cwd, env, pass_fds=(info_w, block_r))
        finally:
            os.close(info_w)
            os.close(block_r)
        info = b""
        with selectors.DefaultSelector() as sel:
            sel.register(info_r, selectors.EVENT_READ)
            while b"}" not in info and sel.select(max(0.0, deadline - time.monotonic())):
                chunk = os.read(info_r, 4096)
                if not chunk:
                    break  # bwrap failed before starting the sandbox; its error is in the output
                info += chunk
        cgroup.add(proc.pid)
        with contextlib.suppress(ValueError, KeyError, TypeError):
            cgroup.add(int(json.loads(info)["child-pid"]))
        with contextlib.suppress(OSError):  # EPIPE if bwrap is already gone
            os.write(block_w, b"x")
        return proc
    finally:
        os.close(info_r)
        os.close(block_w)


def _spawn(argv: list[str], cwd: str, env: dict[str, str], cgroup: PidsCgroup | None,
           bwrap: bool, deadline: float) -> subprocess.Popen:
    if cgroup is None:
        return _popen(argv, cwd, env)
    if bwrap:
        return _spawn_bwrap_in(cgroup, argv, cwd, env, deadline)
    with cgroup.spawning():
        return _popen(argv, cwd, env)


def _pidfd(pid: int) -> int | None:
    # Readable once the process exits: lets one select() wait for output and exit together.
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # kernel < 5.3: fall back to polling
        return None


def _kill_tree(proc: subprocess.Popen, cgroup: PidsCgroup | None) -> None:
    # The child leads its own session (start_new_session), so its group holds the command and
    # every descendant that did not call setsid. Sandboxed commands die with their pid namespace
    # (bwrap --die-with-parent / unshare --kill-child); the cgroup catches anything else.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if cgroup is not None:
        cgroup.kill_all(ignore=proc.pid)  # our unreaped child may still be listed


def _drain(fd: int, sink: CappedText, patience: float) -> None:
    """Collect what is left in the pipe after a kill (EOF comes once the writers are dead)."""
    deadline = time.monotonic() + patience
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0 and sel.select(left):
            chunk = os.read(fd, CHUNK)
            if not chunk:
                return
            sink.feed(chunk)


def _pump(proc: subprocess.Popen, fd: int, sink: CappedText, deadline: float,
          cgroup: PidsCgroup | None) -> bool:
    """Read output until the command has exited and the pipe is at EOF; False on timeout."""
    pidfd = _pidfd(proc.pid)
    eof = exited = killed = False
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            if pidfd is not None:
                sel.register(pidfd, selectors.EVENT_READ)
            while not (eof and exited):
                left = deadline - time.monotonic()
                if left <= 0:
                    return killed  # after killing leftovers we only waited a moment for EOF
                for key, _ in sel.select(left if pidfd is not None else min(left, EXIT_POLL)):
                    if key.fd == fd:
                        chunk = os.read(fd, CHUNK)
                        sink.feed(chunk)
                        if not chunk:
                            eof = True
                            sel.unregister(fd)
                    else:
                        exited = True
                        sel.unregister(pidfd)
                if pidfd is None and not exited:
                    exited = _has_exited(proc.pid)
                if exited and not eof and not killed:
                    # The command is done but a background job holds the pipe (possible only
                    # without a pid namespace): every command is a fresh shell, kill leftovers.
                    _kill_tree(proc, cgroup)
                    killed = True
                    deadline = min(deadline, time.monotonic() + DRAIN_AFTER_KILL)
            return True
    finally:
        if pidfd is not None:
            os.close(pidfd)


def run_process(argv: list[str], *, cwd: str, env: dict[str, str], timeout: float,
                output_cap: int, max_pids: int | None = None, bwrap: bool = False
                ) -> CommandResult:
    """Run `argv`; stdout+stderr merged, stdin empty. exit_code is -1 after a timeout and 128+N
    when the command was killed by signal N (as bash reports it). With `max_pids`, the process
    tree lives in its own pids cgroup; `bwrap` says argv[0] is bubblewrap (see _spawn_bwrap_in)."""
    start = time.monotonic()
    deadline = start + timeout
    sink = CappedText(output_cap)
    cgroup = PidsCgroup(max_pids) if max_pids else None
    try:
        try:
            proc = _spawn(argv, cwd, env, cgroup, bwrap, deadline)
        except OSError as exc:  # only a bare argv can fail here (no sandbox, unknown program)
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            return CommandResult(f"{argv[0]}: {exc.strerror}\n", code,
                                 seconds=time.monotonic() - start)
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        timed_out = True
        try:
            timed_out = not _pump(proc, fd, sink, deadline, cgroup)
        finally:
            # Kill before reaping, so the process group id cannot have been reused: on timeout
            # this ends the tree, otherwise stragglers that left the pipe (`cmd >/dev/null &`);
            # those that left the group too die when the cgroup is closed.
            _kill_tree(proc, cgroup if timed_out else None)
        if timed_out:
            _drain(fd, sink, DRAIN_AFTER_KILL)
        proc.wait()
        proc.stdout.close()
    finally:
        if cgroup is not None:
            cgroup.close()
    sink.feed(b"", final=True)
    output = sink.text()
    if timed_out:
        output += ("" if not output or output.endswith("\n") else "\n") + (
            f"[command timed out after {timeout:g} s and was killed]")
        exit_code = -1
    else:
        exit_code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    return CommandResult(output=output, exit_code=exit_code, timed_out=timed_out,
                         truncated=sink.truncated, seconds=time.monotonic() - start)
