"""The trajectory record: one JSON file per rollout, rewritten atomically after every step. It is
the single source for grading, loss masks, filters and analyses."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

EXIT_STATUSES = ("submitted", "call_limit", "context_limit", "format_error", "stuck", "timeout",
                 "runtime_error")
FORMAT_VERSION = 1


@dataclass
class Trajectory:
    instance_id: str
    strategy: str
    seed: int
    schedule: dict = field(default_factory=dict)
    # Index (among assistant messages) of the first expert message; None when the expert never spoke.
    switch_index: int | None = None
    messages: list[dict] = field(default_factory=list)
    exit_status: str | None = None  # None while the rollout is still running
    patch: str = ""
    error: str | None = None
    report: dict | None = None  # swebench report after grading
    config: dict = field(default_factory=dict)
    started_at: float = 0.0
    seconds: float = 0.0
    format_version: int = FORMAT_VERSION

    @property
    def finished(self) -> bool:
        return self.exit_status is not None

    @property
    def resolved(self) -> bool:
        return bool(self.report and self.report.get("resolved"))

    def assistant_messages(self) -> list[dict]:
        return [m for m in self.messages if m["role"] == "assistant"]

    def save(self, path: str | Path, durable: bool = False) -> None:
        # A shallow dict (no deep copy) and compact JSON keep the per-step save cheap.
        write_json_atomic(path, {f.name: getattr(self, f.name) for f in fields(self)}, durable=durable)

    @classmethod
    def load(cls, path: str | Path) -> Trajectory:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def write_json_atomic(path: str | Path, data: object, durable: bool = True, indent: int | None = None) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file,
    and a killed process leaves the previous version. `durable` also fsyncs (power loss)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            # json.dumps uses the C encoder; json.dump to a file falls back to the slow Python one.
            fh.write(json.dumps(data, indent=indent, separators=None if indent else (",", ":")))
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
