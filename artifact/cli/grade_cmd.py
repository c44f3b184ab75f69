"""`oec grade`: grade SWE-bench predictions against tasks, swebench-style report out."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from artifact.agent.trajectory import write_json_atomic
from artifact.cli.common import local_runtime, progress_bar, unsafe_option
from artifact.cli.errors import UserError
from artifact.grading.grade import grade_patch
from artifact.tasks.schema import find_task, load_tasks


def load_predictions(path: Path) -> list[dict]:
    if not path.is_file():
        raise UserError(f"{path}: predictions file not found")
    predictions = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{lineno}: json: {exc.msg}") from None
        for key in ("instance_id", "model_patch"):
            if not isinstance(record, dict) or key not in record:
                raise UserError(f"{path}:{lineno}: {key}: missing required field")
        predictions.append(record)
    return predictions


@click.command("grade")
@click.option("--tasks", "tasks_file", type=click.Path(path_type=Path), required=True)
@click.option("--predictions", type=click.Path(path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Report JSON to write.")
@unsafe_option
def grade_cmd(tasks_file: Path, predictions: Path, out: Path, unsafe_no_sandbox: bool) -> None:
    """Apply each predicted patch to a clean checkout, run the tests, report per instance."""
    tasks = load_tasks(tasks_file)
    preds = load_predictions(predictions)
    pairs = [(find_task(tasks, p["instance_id"], str(tasks_file)), p) for p in preds]
    runtime = local_runtime(tasks_file, unsafe_no_sandbox, tasks=[task for task, _ in pairs])
    logs = out.parent / f"{out.stem}_logs"
    instances = {}
    with progress_bar() as progress:
        bar = progress.add_task("grade", total=len(pairs), info="")
        for task, pred in pairs:
            model = pred.get("model_name_or_path", "model")
            result = grade_patch(task, pred["model_patch"], runtime, logs / f"{task.instance_id}.log", model)
            instances[task.instance_id] = result.report
            progress.update(bar, advance=1)
    resolved = sorted(i for i, r in instances.items() if r.get("resolved"))
    report = {"total_instances": len(instances), "resolved_instances": len(resolved),
              "resolved_ids": resolved, "unresolved_ids": sorted(set(instances) - set(resolved)),
              "instances": instances}
    write_json_atomic(out, report, indent=1)
    Console().print(f"resolved {len(resolved)}/{len(instances)}; report: {out}")
