"""Sandbox setup for the "unshare" mechanism. Runs as pid 1 of fresh user, mount, pid and network
namespaces made by `unshare --user --map-root-user --net --pid --fork --mount --kill-child`, builds
the filesystem from the mount plan (mounts.py), drops every capability and execs the command.

usage: python -I -S nsinit.py PLAN_JSON COMMAND...

Standard library only and no project imports: it runs under `python -I -S` to start fast.
The steps follow what bubblewrap does: a tmpfs becomes the root (the host stays reachable under
/oldroot until the end), the plan is mounted under /newroot, read-only binds are remounted
read-only mount by mount (a recursive bind carries submounts whose flags must be set one by
one), then pivot_root into /newroot and detach the old root.
"""

import ctypes
import fcntl
import json
import os
import platform
import re
import socket
import struct
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 16384, 1 << 18, 1 << 21, 1 << 24
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 24, 47, 4
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
# Per-mount flags that an unprivileged user namespace must keep when remounting (they are locked).
KEEP = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
        "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty")

libc = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(src, dest, fstype, flags, data=None):
    enc = [s.encode() if s is not None else None for s in (src, dest, fstype, data)]
    check(libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {dest}")


def pivot_root(new, old):
    nr = SYS_PIVOT_ROOT[platform.machine()]
    check(libc.syscall(ctypes.c_long(nr), new.encode(), old.encode()), "pivot_root")


def mountinfo():
    """(mount point, per-mount options) for every mount, as seen from the current root."""
    out = []
    with open("/oldroot/proc/self/mountinfo") as fh:  # the host /proc: ours is not mounted yet
        for line in fh:
            fields = line.split()
            point = re.sub(r"\\([0-7]{3})", lambda g: chr(int(g.group(1), 8)), fields[4])  # \040
            out.append((point, fields[5].split(",")))
    return out


def remount_ro_tree(dest):
    # nosuid and nodev as bwrap sets them: no device node of the host opens through these.
    for point, options in mountinfo():
        if point == dest or point.startswith(dest.rstrip("/") + "/"):
            flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
            for opt in options:
                flags |= KEEP.get(opt, 0)
            mount(None, point, None, flags)


def make_point(path, like_dir):
    if like_dir:
        os.makedirs(path, exist_ok=True)
    elif not os.path.lexists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()


def bind(src, dest, readonly):
    make_point(dest, os.path.isdir(src))
    mount(src, dest, None, MS_BIND | MS_REC)
    if readonly:
        remount_ro_tree(dest)


def make_dev(dest):
    mount("tmpfs", dest, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755")
    for name in DEV_NODES:
        if os.path.exists("/oldroot/dev/" + name):
            bind("/oldroot/dev/" + name, f"{dest}/{name}", readonly=False)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dest}/{name}")
    os.mkdir(dest + "/shm")


def apply(m):
    kind, dest, src = m["kind"], "/newroot" + m["dest"], "/oldroot" + m["src"]
    if kind in ("ro", "rw"):
        if m.get("optional") and not os.path.lexists(src):
            return
        bind(src, dest, readonly=kind == "ro")
    elif kind == "dir":
        os.makedirs(dest, mode=0o755, exist_ok=True)
    elif kind == "symlink":
        os.symlink(m["src"], dest)
    elif kind in ("tmpfs", "ro-tmpfs"):
        os.makedirs(dest, exist_ok=True)
        mount("tmpfs", dest, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
        if kind == "ro-tmpfs":
            remount_ro_tree(dest)
    elif kind == "proc":
        os.makedirs(dest, exist_ok=True)
        mount("proc", dest, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    elif kind == "dev":
        os.makedirs(dest, exist_ok=True)
        make_dev(dest)
    elif kind == "remount-ro" and m["dest"] == "/":  # the tmpfs root, after all mount points
        mount(None, "/newroot", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    elif kind == "remount-ro":
        remount_ro_tree(dest)
    else:
        raise ValueError(f"unknown mount kind {kind!r}")


def loopback_up():
    # As bwrap does: 127.0.0.1 works inside (a test suite may run a local server); the namespace
    # still has no route anywhere else.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = 0x1 | 0x8 | 0x40  # IFF_UP | IFF_LOOPBACK | IFF_RUNNING
        fcntl.ioctl(sock, 0x8914, struct.pack("16sH22x", b"lo", flags))  # SIOCSIFFLAGS


def drop_privileges():
    # Root in a user namespace may remount our read-only binds read-write (they are not locked:
    # we made them read-only ourselves), so no capability may survive the exec.
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    cap = 0
    while libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable x 2 words: all zero
    check(libc.capset(header, data), "capset")


def main():
    spec = json.loads(sys.argv[1])
    command = sys.argv[2:]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    # Stage in a tmpfs over /tmp (private to this namespace); pivoting into it moves the host to
    # /oldroot, where every bind source stays reachable (including the host's /tmp).
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    os.chdir("/tmp")
    os.mkdir("oldroot")
    os.mkdir("newroot")
    pivot_root(".", "oldroot")
    os.chdir("/")
    mount("tmpfs", "/newroot", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for m in spec["plan"]:
        apply(m)
    os.chdir("/newroot")
    pivot_root(".", ".")  # stacks the old root on top of the new one; detach it (pivot_root(2))
    check(libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")
    loopback_up()
    os.setsid()  # like bwrap --new-session: no controlling terminal to push input into
    os.chdir(spec["workdir"])
    drop_privileges()
    try:
        os.execvp(command[0], command)
    except FileNotFoundError:
        print(f"{command[0]}: command not found", file=sys.stderr)
        sys.exit(127)


if __name__ == "__main__":
    try:
        main()
    except OSError as exc:
        print(f"oec-nsinit: {exc}", file=sys.stderr)
        sys.exit(125)
