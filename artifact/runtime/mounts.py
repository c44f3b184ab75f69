"""The filesystem a sandboxed command sees, as an ordered list of mounts. Both sandbox mechanisms
(bubblewrap, and unshare + nsinit.py) build their namespace from the same plan.

The root inside is an empty tmpfs holding one read-only bind per top-level host entry (and the
host's top-level symlinks). We cannot simply bind the host root at / because /testbed (and
/opt/oec-tools) do not exist on the host and a read-only root gives us nowhere to create them.
Directories on the way to such a missing mount point are "expanded" the same way: recreated
in the tmpfs, with their children bound one by one. The tmpfs root is made read-only last.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import PurePosixPath

# Fresh filesystems inside: a new /proc for the new pid namespace, a minimal /dev, private
# /tmp. /run is emptied too: it holds host daemon sockets (docker.sock, dbus), and connecting to a
# unix socket works even through a read-only mount.
FRESH = {"/proc": "proc", "/dev": "dev", "/tmp": "tmpfs", "/run": "tmpfs"}
# Kernel knobs under the new /proc. Commands run as uid 0 (without capabilities), and for sysctl
# files uid 0 alone grants write access: /proc/sys/kernel/core_pattern would let a command make
# the host run a program of its choice. They are covered with read-only binds of the host's.
PROC_READONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")


@dataclass(frozen=True)
class Mount:
    # kind: "ro" / "rw" (bind src at dest), "tmpfs", "ro-tmpfs" (empty and read-only: hidden
    # paths), "dir" (a directory in the tmpfs root), "symlink" (src is the link target),
    # "proc", "dev", "remount-ro" (dest becomes read-only; only used for "/").
    kind: str
    dest: str
    src: str = ""
    optional: bool = False  # a host entry that may vanish between planning and mounting


def _python_paths() -> set[str]:
    """The running interpreter's files (venv and base installation). When they live under a path
    that is fresh inside (a checkout in /tmp), they are bound back so `python` still works."""
    paths = {sys.prefix, sys.base_prefix, os.path.dirname(sys.executable),
             os.path.dirname(os.path.realpath(sys.executable))}
    return {os.path.realpath(p) for p in paths} | paths


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _expansions(targets: list[str], workdir: str) -> set[str]:
    """Host directories that must be recreated (not bound) so the missing `targets` can be made."""
    expand = {"/"}
    for target in targets:
        if os.path.exists(target):
            continue  # binding over an existing host path needs nothing created
        parts = PurePosixPath(target).parts
        for i in range(2, len(parts)):
            ancestor = str(PurePosixPath(*parts[:i]))
            if any(_under(ancestor, f) for f in (*FRESH, workdir)):
                break  # writable inside: the sandbox creates the rest itself
            if os.path.islink(ancestor) or not os.path.isdir(ancestor):
                break  # missing on the host: made inside the expanded parent
            expand.add(ancestor)
    return expand


def _host_tree(directory: str, expand: set[str], skip: set[str]) -> list[Mount]:
    mounts: list[Mount] = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return mounts
    for name in names:
        path = os.path.join(directory, name)
        if path in skip:
            continue
        if path in expand:
            mounts.append(Mount("dir", path))
            mounts += _host_tree(path, expand, skip)
        elif os.path.islink(path):
            mounts.append(Mount("symlink", path, os.readlink(path)))
        else:
            mounts.append(Mount("ro", path, path, optional=True))
    return mounts


def plan_mounts(workspace: str, workdir: str, ro_binds: tuple[tuple[str, str], ...] = (),
                hidden_paths: tuple[str, ...] = ()) -> list[Mount]:
    """The mount plan for one sandbox: host read-only, `workspace` read-write at `workdir`."""
    binds = [(os.path.realpath(src), dest) for src, dest in ro_binds]
    for src, _ in binds:
        if not os.path.exists(src):
            raise FileNotFoundError(f"sandbox ro_bind source does not exist: {src}")
    expand = _expansions([workdir, *(dest for _, dest in binds)], workdir)
    mounts = _host_tree("/", expand, skip={*FRESH, workdir})
    mounts += [Mount(kind, path) for path, kind in FRESH.items()]
    mounts += [Mount("ro", path, path, optional=True) for path in sorted(_python_paths())
               if any(_under(path, fresh) for fresh in FRESH) and os.path.isdir(path)]
    mounts += [Mount("ro", path, path, optional=True) for path in PROC_READONLY]
    mounts.append(Mount("rw", workdir, workspace))
    mounts += [Mount("ro", dest, src) for src, dest in binds]
    hidden = {os.path.realpath(p) for p in hidden_paths}
    for path in sorted(hidden):
        if any(_under(path, other) for other in hidden - {path}):
            continue  # inside another hidden directory: already gone
        if not os.path.exists(path) or _under(path, "/tmp") or _under(path, "/run"):
            continue  # nothing of the host is visible there anyway
        if os.path.isdir(path):
            mounts.append(Mount("ro-tmpfs", path))
        else:
            # A hidden file becomes /dev/null on a nodev mount: it cannot even be opened.
            mounts.append(Mount("ro", path, "/dev/null"))
    mounts.append(Mount("remount-ro", "/"))
    return mounts


def bwrap_args(plan: list[Mount]) -> list[str]:
    """bubblewrap options for a plan, in order (later mounts land on top of earlier ones)."""
    args: list[str] = []
    for m in plan:
        if m.kind == "ro":
            args += ["--ro-bind-try" if m.optional else "--ro-bind", m.src, m.dest]
        elif m.kind == "rw":
            args += ["--bind", m.src, m.dest]
        elif m.kind == "dir":
            args += ["--dir", m.dest]
        elif m.kind == "symlink":
            args += ["--symlink", m.src, m.dest]
        elif m.kind == "tmpfs":
            args += ["--tmpfs", m.dest]
        elif m.kind == "ro-tmpfs":
            args += ["--tmpfs", m.dest, "--remount-ro", m.dest]
        elif m.kind == "proc":
            args += ["--proc", m.dest]
        elif m.kind == "dev":
            args += ["--dev", m.dest]
        elif m.kind == "remount-ro":
            args += ["--remount-ro", m.dest]
        else:
            raise ValueError(f"unknown mount kind {m.kind!r}")
    return args
