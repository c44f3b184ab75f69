"""The sandbox: isolation (filesystem, network, processes), timeout, output cap, fork bombs."""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from artifact.runtime import pidlimit
from artifact.runtime import sandbox as sandbox_mod
from artifact.runtime.sandbox import (
    NO_MECHANISM,
    Sandbox,
    SandboxConfig,
    SandboxUnavailable,
    mechanism_works,
)

MECHANISMS = [m for m in ("bwrap", "unshare") if mechanism_works(m)]
pytestmark = pytest.mark.skipif(not MECHANISMS, reason="no sandbox mechanism works here")


@pytest.fixture(params=MECHANISMS)
def box(request, tmp_path: Path) -> Sandbox:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "hello.txt").write_text("hello\n")
    return Sandbox(ws, SandboxConfig(timeout=30), mechanism=request.param)


def live_processes_with(marker: str) -> list[int]:
    """Host pids (zombies excluded) whose command line contains `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


def wait_gone(marker: str, patience: float = 3.0) -> list[int]:
    deadline = time.monotonic() + patience
    while (left := live_processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_workspace_is_cwd_and_writable(box: Sandbox):
    result = box.run("pwd; cat hello.txt; echo made > /testbed/new.txt")
    assert result.exit_code == 0, result.output
    assert result.output == "/testbed\nhello\n"
    assert (box.workspace / "new.txt").read_text() == "made\n"


def test_writes_outside_the_workspace_fail(box: Sandbox, tmp_path: Path):
    host_tmp_file = tmp_path / "from_inside.txt"  # a host /tmp path: inside, /tmp is private
    targets = ["/etc/oec_probe", "/root/oec_probe", "/usr/oec_probe", "/oec_probe"]
    script = "; ".join(f"touch {t} 2>/dev/null && echo WROTE {t}" for t in targets)
    script += f"; mkdir -p {tmp_path} && echo x > {host_tmp_file}"
    # uid 0 may write sysctls without any capability: core_pattern would run a host program.
    script += "; for f in /proc/sys/kernel/core_pattern /proc/sys/vm/drop_caches; do "
    script += "test -w $f && echo WROTE $f; done; echo done"
    try:
        result = box.run(script)
        assert "WROTE" not in result.output
        assert result.output.endswith("done\n")
        for target in [*targets, str(host_tmp_file)]:
            assert not os.path.exists(target), target
    finally:
        for target in targets:
            Path(target).unlink(missing_ok=True)


def test_tmp_is_private_and_writable(box: Sandbox):
    name = f"oec-{uuid.uuid4().hex}"
    result = box.run(f"echo x > /tmp/{name} && cat /tmp/{name}")
    assert result.output == "x\n"
    assert not Path("/tmp", name).exists()


def test_network_is_unreachable(box: Sandbox):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    probe = ("import socket, sys\n"
             f"for host, port in (('127.0.0.1', {port}), ('1.1.1.1', 80), ('8.8.8.8', 53)):\n"
             "    try:\n"
             "        socket.create_connection((host, port), timeout=5).close()\n"
             "        print('CONNECTED', host)\n"
             "    except OSError as exc:\n"
             "        print('failed', host, exc.errno)\n")
    try:
        start = time.monotonic()
        result = box.run(["python", "-c", probe])
        elapsed = time.monotonic() - start
    finally:
        server.close()
    assert "CONNECTED" not in result.output, result.output
    assert result.output.count("failed") == 3, result.output
    assert elapsed < 4  # unreachable at once, not after a connect timeout


def test_loopback_works_inside(box: Sandbox):
    # The sandbox's own 127.0.0.1 (a test suite may start a local server) is not the host's.
    code = ("import socket\ns = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
            "socket.create_connection(s.getsockname(), timeout=2).close(); print('ok')")
    assert box.run(["python", "-c", code]).output == "ok\n"


def test_timeout_kills_the_whole_tree(box: Sandbox):
    marker = str(900000 + os.getpid() % 90000)  # a distinctive sleep duration
    start = time.monotonic()
    result = box.run(f"echo started; sleep {marker} & sleep {marker}", timeout=1)
    assert time.monotonic() - start < 3
    assert result.timed_out and result.exit_code == -1
    assert result.output.startswith("started\n")
    assert "[command timed out after 1 s and was killed]" in result.output
    assert wait_gone(f"sleep {marker}") == []


def test_background_jobs_end_with_the_command(box: Sandbox):
    marker = str(800000 + os.getpid() % 90000)
    result = box.run(f"sleep {marker} & echo left", timeout=10)
    assert result.exit_code == 0 and not result.timed_out
    assert result.seconds < 5
    assert wait_gone(f"sleep {marker}") == []


def test_huge_output_is_truncated_with_bounded_memory(box: Sandbox):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    start = time.monotonic()
    result = box.run("head -c 100000000 /dev/zero | tr '\\0' a", timeout=60)
    assert time.monotonic() - start < 10
    assert result.truncated and result.exit_code == 0
    assert result.output.startswith("a" * 70_000)
    assert result.output.endswith(
        "\n[output truncated: 100000000 characters total, showing the first 70000]")
    assert len(result.output) < 70_200
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000


def test_output_cap_argument_and_utf8_replacement(box: Sandbox):
    result = box.run("printf 'caf\\xc3\\xa9 \\xff\\n'; seq 1 1000", output_cap=20)
    assert result.output.startswith("café \ufffd\n1\n2\n3\n4")
    assert "[output truncated:" in result.output and result.truncated


def test_fork_bomb_is_contained(box: Sandbox):
    marker = uuid.uuid4().hex
    start = time.monotonic()
    result = box.run(f":(){{ :|:& }};:; sleep 30 # {marker}", timeout=3)
    assert time.monotonic() - start < 10
    assert result.timed_out
    assert wait_gone(marker, patience=5) == []
    probe_start = time.monotonic()
    subprocess.run(["true"], check=True)  # the host can still start processes
    assert time.monotonic() - probe_start < 1


FORK_UNTIL_REFUSED = """
import os, time
made = 0
try:
    for _ in range(100):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        made += 1
except OSError as exc:
    print("fork refused", exc.errno)
print(made)
"""


@pytest.mark.skipif(pidlimit.method() != "cgroup", reason="no pids cgroup here")
def test_process_count_is_capped(box: Sandbox):
    capped = Sandbox(box.workspace, SandboxConfig(max_processes=20), mechanism=box.mechanism)
    result = capped.run(["python", "-c", FORK_UNTIL_REFUSED], timeout=20)
    assert "fork refused 11" in result.output  # EAGAIN
    assert int(result.output.split()[-1]) <= 20
    assert result.seconds < 5  # the children die with the command's pid namespace
    assert ":pids:/oec-" in capped.run("cat /proc/self/cgroup").output


def test_pid_namespace_and_clean_environment(box: Sandbox, monkeypatch):
    monkeypatch.setenv("OEC_HOST_SECRET", "leak")
    result = box.run('echo "$HOME|$LANG|$PAGER|$GIT_PAGER|$TERM|$PYTHONDONTWRITEBYTECODE|'
                     '$OEC_HOST_SECRET|$EXTRA"; ls /proc | grep -c "^[0-9]"; echo "$PATH"',
                     env={"EXTRA": "yes"})
    env_line, nprocs, path = result.output.splitlines()
    assert env_line == "/tmp|C.UTF-8|cat|cat|dumb|1||yes"
    assert int(nprocs) < 10  # only this command's processes are visible
    assert path.split(":")[:2] == ["/opt/oec-tools", os.path.dirname(sys.executable)]


def test_argv_commands_exit_codes_and_merged_stderr(box: Sandbox):
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    result = box.run(["python", "-c", code])
    assert result.exit_code == 3
    assert "out" in result.output and "err" in result.output
    assert box.run("exit 7").exit_code == 7


def test_hidden_paths_and_ro_binds(tmp_path: Path):
    # Under /var/tmp: a host directory that is visible (read-only) inside unless hidden.
    secret = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="oec-secret-"))
    other = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="oec-other-"))
    try:
        (secret / "gold.patch").write_text("the answer\n")
        (other / "solo.txt").write_text("hidden file\n")  # a hidden *file* cannot be opened
        (other / "visible.txt").write_text("not hidden\n")
        tools = tmp_path / "tools"
        tools.mkdir()
        (tools / "mytool").write_text("#!/bin/sh\necho tool ran\n")
        (tools / "mytool").chmod(0o755)
        ws = tmp_path / "ws"
        ws.mkdir()
        for mechanism in MECHANISMS:
            config = SandboxConfig(hidden_paths=(str(other / "solo.txt"), str(secret),
                                                 str(secret / "gold.patch")),
                                   ro_binds=((str(tools), "/opt/oec-tools"),))
            box = Sandbox(ws, config, mechanism=mechanism)
            result = box.run(f"cat {other}/solo.txt {other}/visible.txt")
            assert "hidden file" not in result.output and "not hidden\n" in result.output
            result = box.run(f"ls -A {secret}; cat {secret}/gold.patch; mytool; "
                             "touch /opt/oec-tools/x || echo ro")
            assert "the answer" not in result.output, mechanism
            assert "No such file" in result.output
            assert "tool ran\n" in result.output and result.output.endswith("ro\n")
        assert (secret / "gold.patch").read_text() == "the answer\n"
    finally:
        shutil.rmtree(secret)
        shutil.rmtree(other)


def test_refuses_without_a_mechanism(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(sandbox_mod, "detect_mechanism", lambda: None)
    with pytest.raises(SandboxUnavailable) as info:
        Sandbox(tmp_path, SandboxConfig())
    assert str(info.value) == NO_MECHANISM
    assert "\n" not in str(info.value) and "--unsafe-no-sandbox" in str(info.value)
    assert "apt-get install bubblewrap" in str(info.value)


def test_unsafe_mode_runs_on_the_host(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(sandbox_mod, "detect_mechanism", lambda: None)
    box = Sandbox(tmp_path, SandboxConfig(), unsafe_no_sandbox=True)
    assert box.workdir == str(tmp_path.resolve())
    result = box.run("pwd; echo $HOME")
    assert result.output == f"{tmp_path.resolve()}\n/tmp\n"
    marker = str(700000 + os.getpid() % 90000)
    result = box.run(f"sleep {marker} & sleep {marker}", timeout=1)
    assert result.timed_out and result.seconds < 3
    assert wait_gone(f"sleep {marker}") == []
    assert box.run(["no-such-program-oec"]).exit_code == 127


def test_pids_cgroup_is_removed(tmp_path: Path):
    if pidlimit.method() != "cgroup":
        pytest.skip("no pids cgroup here")
    group = pidlimit.PidsCgroup(5)
    with group.spawning():
        proc = subprocess.Popen(["sleep", "30"])
    assert group.pids() == [proc.pid]
    assert int((group.path / "pids.max").read_text()) == 5
    group.close()
    proc.wait(timeout=5)
    deadline = time.monotonic() + 5
    while group.path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)  # removal may finish in the background once the killed child is reaped
    assert not group.path.exists()
    assert "oec-" not in Path("/proc/thread-self/cgroup").read_text()  # this thread moved back
