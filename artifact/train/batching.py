"""Length-grouped micro-batches, their split over processes and into optimizer steps.

Per epoch (a pure function of seed and epoch, so every process and every resumed run computes the
same plan): shuffle the examples, cut them into groups of `group_size`, sort each group by length
and cut it into micro-batches (by a padded-token budget or a count), then shuffle the micro-batches.
Sorting inside groups keeps padding low while the group shuffle keeps batches varied from epoch to
epoch.

With W processes, micro-batch m of process r is batches[m*W + r]; the last few batches that do not
fill a round for every process are left out of that epoch (none with one process). An optimizer
step covers `grad_accum` consecutive micro-batches of every process; the last step of an epoch may
cover fewer. Its loss is normalised by the loss tokens of the whole step across all processes,
which every process knows from the plan, so no communication is needed for it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from artifact.data.tokenize import IGNORE_INDEX
from artifact.train.data import TokenizedExample


def _cut(group: list[int], lengths: list[int], batch_tokens: int,
         batch_size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    longest = 0
    for index in group:
        grown = max(longest, lengths[index])
        full = (batch_size and len(batch) == batch_size) or (
            batch_tokens and grown * (len(batch) + 1) > batch_tokens)
        if batch and full:
            yield batch
            batch, grown = [], lengths[index]
        batch.append(index)
        longest = grown
    if batch:
        yield batch


def epoch_batches(lengths: list[int], seed: int, epoch: int, group_size: int,
                  batch_tokens: int = 0, batch_size: int = 0) -> list[list[int]]:
    """The micro-batches (lists of example indices) of one epoch, in training order."""
    rng = random.Random(f"train-batches:{seed}:{epoch}")
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    for start in range(0, len(order), group_size):
        group = sorted(order[start:start + group_size], key=lambda i: lengths[i])
        batches.extend(_cut(group, lengths, batch_tokens, batch_size))
    rng.shuffle(batches)
    return batches


@dataclass
class EpochPlan:
    epoch: int
    batches: list[list[int]]  # every process's micro-batches, interleaved
    world: int
    accum: int
    loss_tokens: list[int]  # per batch
    tokens: list[int]  # per batch, without padding

    @property
    def micro_batches(self) -> int:
        """Micro-batches per process."""
        return len(self.batches) // self.world

    @property
    def dropped(self) -> int:
        return len(self.batches) - self.micro_batches * self.world

    @property
    def steps(self) -> int:
        return -(-self.micro_batches // self.accum)

    def batch(self, micro: int, rank: int) -> list[int]:
        return self.batches[micro * self.world + rank]

    def step_of(self, micro: int) -> range:
        """The micro-batch indices of the optimizer step that `micro` belongs to."""
        start = micro - micro % self.accum
        return range(start, min(start + self.accum, self.micro_batches))

    def _sum(self, values: list[int], micros: range) -> int:
        return sum(values[m * self.world + r] for m in micros for r in range(self.world))

    def step_loss_tokens(self, micros: range) -> int:
        """Loss tokens of these micro-batches summed over all processes."""
        return self._sum(self.loss_tokens, micros)

    def step_tokens(self, micros: range) -> int:
        return self._sum(self.tokens, micros)


def plan_epochs(examples: list[TokenizedExample], epochs: int, seed: int, group_size: int,
                batch_tokens: int, batch_size: int, world: int, accum: int) -> list[EpochPlan]:
    lengths = [e.length for e in examples]
    plans = []
    for epoch in range(epochs):
        batches = epoch_batches(lengths, seed, epoch, group_size, batch_tokens, batch_size)
        plans.append(EpochPlan(
            epoch, batches, world, accum,
            loss_tokens=[sum(examples[i].loss_tokens for i in b) for b in batches],
            tokens=[sum(lengths[i] for i in b) for b in batches]))
    return plans


def forward_groups(rows: list[int], unpadded: bool) -> list[list[int]]:
    """The forward passes of one micro-batch: all its rows at once (padded), or each row alone
    (`unpadded_rows`: same loss, no padding mask, which on a CPU sends attention to a slow kernel)."""
    return [[row] for row in rows] if unpadded else [rows]


def collate(examples: list[TokenizedExample], indices: list[int],
            pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded tensors; padding gets attention 0 and label -100 (never trained on)."""
    width = max(examples[i].length for i in indices)
    input_ids = torch.full((len(indices), width), pad_id, dtype=torch.long)
    labels = torch.full((len(indices), width), IGNORE_INDEX, dtype=torch.long)
    attention = torch.zeros((len(indices), width), dtype=torch.long)
    for row, i in enumerate(indices):
        n = examples[i].length
        input_ids[row, :n] = torch.tensor(examples[i].input_ids)
        labels[row, :n] = torch.tensor(examples[i].labels)
        attention[row, :n] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}
