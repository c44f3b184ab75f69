"""Where stage outputs live: one folder per stage result under a run root, named by what produced
it (a readable name plus a digest of the full spec). Two experiments asking for the same data,
model or evaluation get the same folder, so nothing is computed twice; a stage is done when its
`done.json` exists (written last, atomically), so a killed run redoes only unfinished stages."""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from artifact.agent.trajectory import write_json_atomic


def spec_digest(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:10]


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", text).strip("-")[:60]


@dataclass(frozen=True)
class StageDir:
    kind: str  # rollouts | datasets | models | evals
    path: Path
    spec: dict
    opened_at: float = field(default_factory=time.time, compare=False)

    @property
    def done_file(self) -> Path:
        return self.path / "done.json"

    def done(self) -> dict | None:
        try:
            record = json.loads(self.done_file.read_text())
        except (OSError, ValueError):
            return None
        return record if record.get("spec") == json.loads(json.dumps(self.spec, default=str)) else None

    def mark_done(self, result: dict) -> dict:
        # seconds: this (last) attempt's wall time, so a run's stage times can be read back.
        record = {"spec": json.loads(json.dumps(self.spec, default=str)), **result,
                  "seconds": round(time.time() - self.opened_at, 1),
                  "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        write_json_atomic(self.done_file, record, indent=1)
        return record


class RunStore:
    """The run root of one scale, e.g. runs/tiny/."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def stage(self, kind: str, name: str, spec: dict) -> StageDir:
        path = self.root / kind / f"{slug(name)}-{spec_digest(spec)}"
        path.mkdir(parents=True, exist_ok=True)
        return StageDir(kind, path, spec)
