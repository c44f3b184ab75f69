"""Run commands in an OS sandbox around one workspace directory.

Inside, the workspace is read-write at /testbed (the cwd); the rest of the host is read-only
(mounts.py), /tmp is a private tmpfs, /proc and /dev are fresh, there is no network (a new net
namespace holding only a loopback device) and a new pid namespace, so every process of a command
dies with it. Commands keep the caller's uid (shown as root under unshare's mapping) but have no
capability at all, and no_new_privs. Two mechanisms build this: bubblewrap ("bwrap", preferred,
~8 ms per command on an idle 2-core machine) and util-linux `unshare` plus our nsinit.py helper
(for hosts without bubblewrap; ~35 ms more, mostly the helper's Python start-up). Process counts
are capped as described in pidlimit.py; process.py enforces the timeout and the output cap.

`unsafe_no_sandbox=True` runs commands directly on the host with cwd=workspace: same env, timeout,
output cap and process cap, but no isolation at all, and `workdir` is then the workspace's host
path (hidden_paths cannot be hidden; ro_binds are reachable only through PATH, at their host
paths).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from artifact.runtime import pidlimit
from artifact.runtime.base import WORKDIR, CommandResult, RuntimeUnavailable
from artifact.runtime.mounts import bwrap_args, plan_mounts
from artifact.runtime.process import run_process

TOOLS_MOUNT = "/opt/oec-tools"  # where the agent's tool scripts appear (first on PATH)
NSINIT = Path(__file__).with_name("nsinit.py")
NO_MECHANISM = ("no sandbox mechanism available: install bubblewrap (apt-get install bubblewrap) "
                "or pass --unsafe-no-sandbox")
MECHANISMS = ("bwrap", "unshare")
# bubblewrap runs two processes of its own (itself and the namespace's init) in the pids group.
SANDBOX_PROCESSES = 2

# --cap-drop ALL matters when bwrap runs as root: it would otherwise hand the command every
# capability, and CAP_SYS_ADMIN can remount the read-only binds read-write.
BWRAP_FLAGS = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--die-with-parent",
               "--new-session", "--cap-drop", "ALL"]
UNSHARE_FLAGS = ["--user", "--map-root-user", "--net", "--pid", "--ipc", "--mount", "--fork",
                 "--kill-child"]


class SandboxUnavailable(RuntimeUnavailable):
    """Neither bubblewrap nor unshare can build a sandbox here."""


@dataclass
class SandboxConfig:
    timeout: float = 300.0  # seconds per command
    output_cap: int = 70_000  # characters of output kept per command (the paper's cap)
    max_processes: int = 256  # processes (threads, for the pids cgroup) one command may have
    hidden_paths: tuple[str, ...] = ()  # host paths shown as empty inside (e.g. gold patches)
    ro_binds: tuple[tuple[str, str], ...] = ()  # (host path, path inside), read-only
    env: dict[str, str] = field(default_factory=dict)  # extra environment variables


def base_env(path_dirs: list[str]) -> dict[str, str]:
    """The whole environment of a command (nothing is inherited from the host)."""
    return {"PATH": ":".join(path_dirs), "HOME": "/tmp", "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1", "PAGER": "cat", "GIT_PAGER": "cat", "TERM": "dumb"}


def _path_dirs() -> list[str]:
    return [TOOLS_MOUNT, os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]


def _sandbox_prefix(mechanism: str, workspace: str, config: SandboxConfig) -> list[str]:
    """Everything before the command itself in the argv for `mechanism`."""
    plan = plan_mounts(workspace, WORKDIR, config.ro_binds, config.hidden_paths)
    if mechanism == "bwrap":
        return [shutil.which("bwrap") or "bwrap", *bwrap_args(plan), *BWRAP_FLAGS,
                "--chdir", WORKDIR, "--"]
    if mechanism == "unshare":
        spec = json.dumps({"plan": [vars(m) for m in plan], "workdir": WORKDIR})
        # setpriv ties `unshare` to our process (as bwrap --die-with-parent does); --kill-child
        # then takes the namespace's init, and with it every process of the command.
        setpriv = shutil.which("setpriv")
        guard = [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []
        return [*guard, shutil.which("unshare") or "unshare", *UNSHARE_FLAGS, "--",
                sys.executable, "-I", "-S", str(NSINIT), spec]
    raise ValueError(f"unknown sandbox mechanism {mechanism!r} (expected one of {MECHANISMS})")


@functools.cache
def mechanism_works(mechanism: str) -> bool:
    """Run one real sandboxed command (once per process): the mechanism works only if the
    command runs and can write the workspace."""
    if mechanism == "bwrap" and not shutil.which("bwrap"):
        return False
    if mechanism == "unshare" and not shutil.which("unshare"):
        return False
    with tempfile.TemporaryDirectory(prefix="oec-probe-") as tmp:
        argv = _sandbox_prefix(mechanism, tmp, SandboxConfig())
        argv += ["bash", "-c", "echo ok > probe && cat probe"]
        try:
            proc = subprocess.run(argv, env=base_env(_path_dirs()), capture_output=True,
                                  check=False, timeout=30, cwd="/")
        except (OSError, subprocess.TimeoutExpired):
            return False
        return proc.returncode == 0 and proc.stdout == b"ok\n" and Path(tmp, "probe").exists()


@functools.cache
def detect_mechanism() -> str | None:
    """"bwrap" if bubblewrap works here, else "unshare" if that works, else None (tried once)."""
    return next((m for m in MECHANISMS if mechanism_works(m)), None)


class Sandbox:
    """Runs commands in `workspace` (see the module docstring for what the sandbox guarantees)."""

    def __init__(self, workspace: Path | str, config: SandboxConfig | None = None,
                 mechanism: str | None = None, unsafe_no_sandbox: bool = False):
        self.workspace = Path(workspace).resolve()
        self.config = config or SandboxConfig()
        path_dirs = _path_dirs()
        if unsafe_no_sandbox:
            self.mechanism = "none"
            self.workdir = str(self.workspace)
            self._prefix: list[str] = []
            # Nothing is mounted: read-only binds are reached at their host paths instead.
            binds = {dest: src for src, dest in self.config.ro_binds}
            path_dirs = [binds.get(d, d) for d in path_dirs if d in binds or d != TOOLS_MOUNT]
        else:
            mechanism = mechanism or detect_mechanism()
            if mechanism is None:
                raise SandboxUnavailable(NO_MECHANISM)
            self.mechanism = mechanism
            self.workdir = WORKDIR
            self._prefix = _sandbox_prefix(mechanism, str(self.workspace), self.config)
        self.env = {**base_env(path_dirs), **self.config.env}  # every command's environment
        self._max_pids = (self.config.max_processes + SANDBOX_PROCESSES
                          if pidlimit.method() == "cgroup" else None)

    def argv(self, command: str | list[str]) -> list[str]:
        """The full argv that runs `command` (a str runs under `bash -c`)."""
        cmd = ["bash", "-c", command] if isinstance(command, str) else list(command)
        if not cmd:
            raise ValueError("empty command")
        prefix = self._prefix
        if pidlimit.method() == "rlimit":
            prefix = pidlimit.rlimit_prefix(self.config.max_processes + SANDBOX_PROCESSES) + prefix
        return [*prefix, *cmd]

    def run(self, command: str | list[str], timeout: float | None = None,
            output_cap: int | None = None, env: dict[str, str] | None = None) -> CommandResult:
        """Run one command; output is stdout+stderr, capped; a timeout kills the whole tree."""
        cwd = str(self.workspace) if self.mechanism == "none" else "/"
        return run_process(
            self.argv(command), cwd=cwd, env={**self.env, **(env or {})},
            timeout=self.config.timeout if timeout is None else timeout,
            output_cap=self.config.output_cap if output_cap is None else output_cap,
            max_pids=self._max_pids, bwrap=self.mechanism == "bwrap")
