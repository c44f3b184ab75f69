"""Build an SFT dataset (JSONL of loss-flagged chat examples) from generation outputs.

Each source is `DIR` or `DIR:N`. DIR is a generation output folder (with trajectories/*.json) or
a folder of trajectory JSON files. Per source: resolved -> repetition -> max_chars -> zero-loss
filters, then `:N` takes a seeded sample of N surviving trajectories (error when fewer survive),
which mixes sets such as the paper's 3,000 OEC + 1,000 BC. Output order is deterministic: sources
in the order given, trajectories by file name within a source (the trainer shuffles).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from artifact.agent.trajectory import Trajectory
from artifact.data import filters
from artifact.data.examples import Example, build_examples, has_loss, last_turn_view


class DatasetError(ValueError):
    """A dataset cannot be built as asked; the message is one line for the user."""


@dataclass(frozen=True)
class Source:
    path: Path
    take: int | None = None  # None: every surviving trajectory

    @classmethod
    def parse(cls, spec: str) -> Source:
        head, sep, tail = spec.rpartition(":")
        if sep and tail.isdigit():
            if int(tail) <= 0:
                raise DatasetError(f"{spec}: N must be a positive integer")
            return cls(Path(head), int(tail))
        return cls(Path(spec))

    def files(self) -> list[Path]:
        if not self.path.is_dir():
            raise DatasetError(f"{self.path}: not a directory")
        inner = self.path / "trajectories"
        folder = inner if inner.is_dir() else self.path
        return sorted(folder.glob("*.json"))


@dataclass(frozen=True)
class BuildConfig:
    masking: str = "expert_only"
    history: str = "last"
    resolved_filter: bool = True
    repetition_filter: bool = True
    repetition: filters.RepetitionRule = field(default_factory=filters.RepetitionRule)
    max_chars: int | None = None
    seed: int = 0


@dataclass
class SourceReport:
    source: str
    found: int = 0
    dropped: dict[str, int] = field(
        default_factory=lambda: {"resolved": 0, "repetition": 0, "max_chars": 0, "zero_loss": 0})
    survived: int = 0
    taken: int = 0
    examples: int = 0
    messages: int = 0
    loss_messages: int = 0


def load_trajectory(path: Path) -> Trajectory:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: json: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise DatasetError(f"{path}: not a trajectory record (no messages)")
    known = set(Trajectory.__dataclass_fields__)
    try:
        return Trajectory(**{k: v for k, v in data.items() if k in known})
    except TypeError as exc:
        raise DatasetError(f"{path}: not a trajectory record ({exc})") from None


def _filter_source(source: Source, config: BuildConfig,
                   report: SourceReport) -> list[list[Example]]:
    """Filtered examples of one source, grouped per trajectory (sampling is per trajectory)."""
    kept = []
    for path in source.files():
        trajectory = load_trajectory(path)
        report.found += 1
        if config.resolved_filter and not filters.resolved(trajectory):
            report.dropped["resolved"] += 1
            continue
        if config.repetition_filter and filters.repetitive(
                trajectory, config.repetition, lambda m: has_loss(m, config.masking)):
            report.dropped["repetition"] += 1
            continue
        if not filters.within_chars(last_turn_view(trajectory), config.max_chars):
            report.dropped["max_chars"] += 1
            continue
        examples = [e for e in build_examples(trajectory, str(source.path), config.masking,
                                              config.history) if e.loss_messages > 0]
        if not examples:
            report.dropped["zero_loss"] += 1
            continue
        kept.append(examples)
    return kept


def build(sources: list[Source], config: BuildConfig) -> tuple[list[Example], list[SourceReport]]:
    reports = []
    dataset: list[Example] = []
    for number, source in enumerate(sources):
        report = SourceReport(str(source.path))
        reports.append(report)
        kept = _filter_source(source, config, report)
        if report.found == 0:
            raise DatasetError(f"{source.path}: no trajectories found (*.json)")
        report.survived = len(kept)
        if source.take is not None:
            if len(kept) < source.take:
                raise DatasetError(f"{source.path}: only {len(kept)} trajectories left after "
                                   f"filtering, {source.take} requested")
            # One generator per source, seeded by the run seed and the source's position, so
            # adding a source does not change what is sampled from the others.
            rng = random.Random(f"{config.seed}:{number}")
            chosen = sorted(rng.sample(range(len(kept)), source.take))
            kept = [kept[i] for i in chosen]
        report.taken = len(kept)
        for examples in kept:
            dataset.extend(examples)
            report.examples += len(examples)
            report.messages += sum(len(e.messages) for e in examples)
            report.loss_messages += sum(e.loss_messages for e in examples)
    if not dataset:
        raise DatasetError(_empty_message(reports, config))
    return dataset, reports


def _empty_message(reports: list[SourceReport], config: BuildConfig) -> str:
    total = {k: sum(r.dropped[k] for r in reports) for k in reports[0].dropped}
    before_loss = sum(r.found for r in reports) - total["resolved"] - total["repetition"] \
        - total["max_chars"]
    if before_loss > 0 and total["zero_loss"] == before_loss:
        return (f"all {before_loss} trajectories left after filtering have no loss messages "
                f"under masking={config.masking} (fully on-policy trajectories?)")
    return ("0 examples left after filtering: " + ", ".join(
        f"{name.replace('_', '-')} dropped {count}" for name, count in total.items()))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json")


def write_dataset(out: Path, dataset: list[Example], reports: list[SourceReport],
                  sources: list[Source], config: BuildConfig) -> None:
    _write_atomic(out, "".join(json.dumps(e.to_json()) + "\n" for e in dataset))
    manifest = {
        "config": asdict(config),
        "sources": [{"spec": str(s.path) + (f":{s.take}" if s.take else ""), **asdict(r)}
                    for s, r in zip(sources, reports, strict=True)],
        "counts": {"examples": len(dataset),
                   "messages": sum(len(e.messages) for e in dataset),
                   "loss_messages": sum(e.loss_messages for e in dataset)},
        "output": str(out),
    }
    _write_atomic(manifest_path(out), json.dumps(manifest, indent=1) + "\n")
