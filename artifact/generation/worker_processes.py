"""Rollouts in forked worker processes instead of threads.

Why: a ~1M-parameter student decodes one token per ~3 ms on a CPU, mostly Python, so rollout
threads take turns on the GIL (2 threads on 2 cores kept ~1.35 cores busy). Forked workers each
get a core (bench/student_generation.py: 1.20x over threads; 12 evaluation rollouts: 1.29x).
Fork, not spawn: the policy factory, the runtime and a model loaded once in the parent are
inherited as they are (copy-on-write), nothing is pickled but job numbers and finished records.
Only for local CPU models and the scripted expert: a CUDA context or an open HTTP connection
does not survive a fork (endpoints are I/O-bound and keep threads)."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import warnings
from collections.abc import Callable
from multiprocessing.connection import wait

from artifact.agent.trajectory import Trajectory

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class WorkerFailed(RuntimeError):
    """A rollout raised in a worker process, or a worker died; finished trajectories are on disk."""


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def run_forked(todo: list[int], run: Callable[[int], Trajectory], workers: int,
               on_record: Callable[[int, Trajectory], None]) -> None:
    """Call `run(i)` for every i in `todo` in `workers` forked processes (each takes the next job
    when it is free); `on_record(i, record)` runs in this process, in completion order."""
    if not todo:
        return
    context = multiprocessing.get_context("fork")
    jobs = context.Queue()  # its feeder thread sends: putting thousands of jobs never blocks
    for i in todo:
        jobs.put(i)
    workers = max(1, min(workers, len(todo)))
    for _ in range(workers):
        jobs.put(None)
    # Torch's intra-op threads: the cores shared out, so workers do not oversubscribe them.
    threads = max(1, len(os.sched_getaffinity(0)) // workers)
    # Without this, tokenizers warns in every child that it disabled its own parallelism.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # One pipe per worker, sent to synchronously: a record is on its way before the next job
    # starts, and the pipe's end-of-file says the worker is gone.
    workers_by_pipe = {}
    for n in range(workers):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_work, args=(run, jobs, send, threads, os.getpid()),
                                  daemon=True, name=f"rollout-worker-{n}")
        with warnings.catch_warnings():
            # Python >= 3.12 warns when a process with threads forks (a live display has one).
            # No rollout runs in the parent yet, so no lock a worker needs is held (the model's
            # tokenizer lock); the streams, which the display's thread writes, are fresh in _work.
            warnings.filterwarnings("ignore", r".*use of fork\(\) may lead to deadlocks",
                                    DeprecationWarning)
            process.start()
        send.close()  # only the worker holds the sending end
        workers_by_pipe[receive] = process
    try:
        pending = set(todo)
        while pending:
            if not workers_by_pipe:
                raise WorkerFailed(f"the rollout workers stopped with {len(pending)} rollouts "
                                   "unfinished; rerun to resume")
            for pipe in wait(list(workers_by_pipe)):
                try:
                    kind, i, payload = pipe.recv()
                except EOFError:
                    process = workers_by_pipe.pop(pipe)
                    process.join()
                    if process.exitcode != 0:
                        raise WorkerFailed(
                            f"a rollout worker process exited (code {process.exitcode}) with "
                            f"{len(pending)} rollouts unfinished; rerun to resume") from None
                    continue
                if kind == "error":
                    raise WorkerFailed(payload)
                pending.discard(i)
                on_record(i, payload)
    finally:
        for process in workers_by_pipe.values():
            if process.is_alive():
                process.terminate()
        for pipe, process in workers_by_pipe.items():
            process.join(timeout=10)
            pipe.close()
        jobs.close()
        jobs.cancel_join_thread()  # jobs left unsent when the run stopped early


def _die_with_parent(parent: int) -> None:
    """A killed parent (SIGKILL, SIGTERM) runs no cleanup, and its workers would go on with the
    queued jobs next to a rerun's. Linux: the kernel sends them SIGKILL when the parent dies.
    Elsewhere (macOS) kill the process group (Ctrl-C in a terminal does)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the call above
        os._exit(1)


def _work(run: Callable[[int], Trajectory], jobs, send, threads: int, parent: int) -> None:
    _die_with_parent(parent)
    # The parent ends its workers (terminate) on Ctrl-C or an error: no second traceback here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Fresh stream objects: a thread of the parent (a live display) may have held the old ones'
    # locks at the moment of the fork, and that thread does not exist here to release them.
    with contextlib.suppress(OSError):  # a closed stream stays as it is
        sys.stdout = open(os.dup(1), "w", buffering=1)  # noqa: SIM115 - lives with the process
        sys.stderr = open(os.dup(2), "w", buffering=1)  # noqa: SIM115
    import torch

    torch.set_num_threads(threads)
    from artifact.runtime.pidlimit import finish_pending

    try:
        while (i := jobs.get()) is not None:
            try:
                record = run(i)
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops the run
                first = (str(exc).strip().splitlines() or [""])[0]
                send.send(("error", i, f"rollout {i} failed: {type(exc).__name__}: {first}"))
                return
            send.send(("ok", i, record))
    finally:
        send.close()
        finish_pending()  # cgroup removals still under way (atexit does not run in a worker)
