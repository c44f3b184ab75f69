"""The batching worker on its own, with a fake generate: who waits, who shares a batch."""

import threading
import time

from artifact.policies.hf_batcher import Batcher
from artifact.policies.hf_generate import RowOutput, Sampling


def _echo(prompts, sampling, seeds):
    time.sleep(0.05)
    return [RowOutput(p, f"{sampling.temperature}") for p in prompts]


def test_lone_caller_does_not_wait():
    batcher = Batcher(_echo, max_batch_size=8, batch_wait_ms=5000)
    try:
        for _ in range(3):
            start = time.monotonic()
            batcher.submit([1], Sampling(), None)
            assert time.monotonic() - start < 1.0
    finally:
        batcher.close()


def test_batches_group_equal_settings():
    seen = []

    def run(prompts, sampling, seeds):
        seen.append((sampling, len(prompts)))
        return _echo(prompts, sampling, seeds)

    batcher = Batcher(run, max_batch_size=3, batch_wait_ms=200)
    samplings = [Sampling(), Sampling(temperature=0.5)]
    outputs = {}
    barrier = threading.Barrier(8)

    def call(i):
        barrier.wait()
        outputs[i] = batcher.submit([i], samplings[i % 2], None)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    batcher.close()
    assert all(out.tokens == [i] and out.text == str(samplings[i % 2].temperature)
               for i, (out, _) in outputs.items())
    assert sum(n for _, n in seen) == 8 and max(n for _, n in seen) <= 3
    assert max(n for _, n in seen) > 1
