"""Task instances in the SWE-bench schema, with validation that names the file, line and field."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


class TaskFileError(ValueError):
    """A task file that cannot be used; the message is one line: `file:line: field: problem`."""


REQUIRED_FIELDS: dict[str, type] = {
    "instance_id": str,
    "repo": str,
    "base_commit": str,
    "patch": str,
    "test_patch": str,
    "FAIL_TO_PASS": list,
    "PASS_TO_PASS": list,
    "problem_statement": str,
    "version": str,
}


@dataclass
class Task:
    """One task instance. `repo_path` (local runtime) or `image` (docker runtime) says where the
    repository lives; `repo_path` is resolved against the task file's folder when loaded."""

    instance_id: str
    repo: str
    base_commit: str
    patch: str
    test_patch: str
    FAIL_TO_PASS: list[str]
    PASS_TO_PASS: list[str]
    problem_statement: str
    version: str
    repo_path: str | None = None
    image: str | None = None
    split: str | None = None
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def gold_files(self) -> list[str]:
        """Files the gold patch touches (from its `+++ b/...` headers)."""
        return [line[6:].strip() for line in self.patch.splitlines() if line.startswith("+++ b/")]


def _check(record: object, where: str) -> Task:
    if not isinstance(record, dict):
        raise TaskFileError(f"{where}: record: expected a JSON object, got {type(record).__name__}")
    for name, kind in REQUIRED_FIELDS.items():
        if name not in record:
            raise TaskFileError(f"{where}: {name}: missing required field")
        value = record[name]
        if isinstance(value, str) and kind is list:
            # SWE-bench's HF datasets store the test lists as JSON strings.
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise TaskFileError(f"{where}: {name}: not a list or JSON-encoded list") from None
            record[name] = value
        if not isinstance(value, kind):
            raise TaskFileError(f"{where}: {name}: expected {kind.__name__}, got {type(value).__name__}")
        if kind is list and not all(isinstance(t, str) for t in value):
            raise TaskFileError(f"{where}: {name}: every entry must be a string")
    if not record["instance_id"].strip():
        raise TaskFileError(f"{where}: instance_id: empty")
    if not record["FAIL_TO_PASS"]:
        raise TaskFileError(f"{where}: FAIL_TO_PASS: empty (a task needs at least one failing test)")
    if record.get("repo_path") is None and record.get("image") is None:
        raise TaskFileError(f"{where}: repo_path: missing (or `image` for the docker runtime)")
    known = set(Task.__dataclass_fields__)
    extra = {k: v for k, v in record.items() if k not in known}
    clean = {k: v for k, v in record.items() if k in known}
    task = Task(**clean)
    task.meta = {**task.meta, **extra} if extra else task.meta
    return task


def load_tasks(path: str | Path) -> list[Task]:
    """Read a JSONL task file; raise TaskFileError (one line) on the first bad record."""
    path = Path(path)
    if not path.is_file():
        raise TaskFileError(f"{path}: file: not found")
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskFileError(f"{where}: json: {exc.msg} (column {exc.colno})") from None
            task = _check(record, where)
            if task.instance_id in seen:
                raise TaskFileError(
                    f"{where}: instance_id: duplicate of line {seen[task.instance_id]} ({task.instance_id})"
                )
            seen[task.instance_id] = lineno
            if task.repo_path and not Path(task.repo_path).is_absolute():
                task.repo_path = str((path.parent / task.repo_path).resolve())
            tasks.append(task)
    if not tasks:
        raise TaskFileError(f"{path}: file: no task records")
    return tasks


def find_task(tasks: list[Task], instance_id: str, source: str = "tasks") -> Task:
    for task in tasks:
        if task.instance_id == instance_id:
            return task
    raise TaskFileError(f"{source}: instance_id: unknown task id {instance_id!r}")


def write_tasks(tasks: list[Task], path: str | Path, relative_to: Path | None = None) -> None:
    """Write tasks as JSONL atomically; repo paths are stored relative to the file's folder."""
    path = Path(path)
    base = (relative_to or path.parent).resolve()
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for task in tasks:
            record = task.to_json()
            if task.repo_path:
                try:
                    record["repo_path"] = str(Path(task.repo_path).resolve().relative_to(base))
                except ValueError:
                    pass
            fh.write(json.dumps(record, sort_keys=True) + "\n")
    tmp.replace(path)
