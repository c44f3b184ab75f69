"""Dynamic batching for a local model shared by rollout threads: callers block in `submit`, one
worker thread groups pending requests with equal sampling settings and runs them as one batch."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from artifact.policies.hf_generate import RowOutput, Sampling

RunBatch = Callable[[list[list[int]], Sampling, list[int | None]], list[RowOutput]]
ACTIVE_WINDOW_S = 30.0  # a thread that called this recently is likely to call again soon


@dataclass(eq=False)  # identity, not field equality: two callers may send equal prompts
class _Request:
    prompt: list[int]
    sampling: Sampling
    seed: int | None
    done: threading.Event = field(default_factory=threading.Event)
    output: RowOutput | None = None
    error: BaseException | None = None
    batch_size: int = 0


class BatcherClosed(RuntimeError):
    pass


class Batcher:
    def __init__(self, run: RunBatch, max_batch_size: int = 8, batch_wait_ms: float = 20.0,
                 active_window_s: float = ACTIVE_WINDOW_S):
        self._run, self.max_batch_size = run, max(1, max_batch_size)
        self.wait_s, self.active_window_s = batch_wait_ms / 1000.0, active_window_s
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._last_seen: dict[int, float] = {}  # caller thread id -> time of its last request
        self._closed = False
        self._worker: threading.Thread | None = None
        self.batch_sizes: Counter[int] = Counter()  # how many batches of each size ran

    def submit(self, prompt: list[int], sampling: Sampling, seed: int | None) -> tuple[RowOutput, int]:
        """Block until this prompt's completion is ready; returns it and the batch size it ran in."""
        request = _Request(prompt, sampling, seed)
        with self._cond:
            if self._closed:
                raise BatcherClosed("the model was closed")
            self._last_seen[threading.get_ident()] = time.monotonic()
            self._pending.append(request)
            if self._worker is None:
                self._worker = threading.Thread(target=self._loop, name="hf-batcher", daemon=True)
                self._worker.start()
            self._cond.notify_all()
        while not request.done.wait(timeout=1.0):
            if not self._worker.is_alive():  # never hang on a dead worker
                raise BatcherClosed("the batching worker stopped")
        if request.error is not None:
            raise request.error
        assert request.output is not None
        return request.output, request.batch_size

    def close(self) -> None:
        """Finish what is pending, then stop the worker."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join()

    def _loop(self) -> None:
        while (batch := self._collect()) is not None:
            try:
                outputs = self._run([r.prompt for r in batch], batch[0].sampling,
                                    [r.seed for r in batch])
            except Exception as exc:  # noqa: BLE001 - handed to every caller of this batch
                for request in batch:
                    request.error = exc
            else:
                for request, output in zip(batch, outputs, strict=True):
                    request.output = output
            with self._cond:
                self.batch_sizes[len(batch)] += 1
            for request in batch:
                request.batch_size = len(batch)
                request.done.set()

    def _collect(self) -> list[_Request] | None:
        """The next batch: the oldest request plus others with the same settings. Waits (up to
        batch_wait_ms) only while other recently active callers may still join, so a lone caller
        starts at once."""
        with self._cond:
            while not self._pending:
                if self._closed:
                    return None
                self._cond.wait()
            first = self._pending[0]
            deadline = time.monotonic() + self.wait_s
            while True:
                batch = [r for r in self._pending if r.sampling == first.sampling]
                batch = batch[: self.max_batch_size]
                now = time.monotonic()
                target = min(self.max_batch_size, self._active_callers(now))
                if len(batch) >= target or now >= deadline or self._closed:
                    break
                self._cond.wait(deadline - now)
            for request in batch:
                self._pending.remove(request)
            return batch

    def _active_callers(self, now: float) -> int:
        stale = [k for k, t in self._last_seen.items() if now - t > self.active_window_s]
        for key in stale:
            del self._last_seen[key]
        return max(1, len(self._last_seen))
