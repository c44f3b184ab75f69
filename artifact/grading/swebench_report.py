"""The only module that imports swebench (pinned to major version 5 in pyproject.toml).

Logs are written in the harness's own layout (start/end markers, exit-code line, failure
markers), parsed with swebench's pytest parser and graded with swebench's grading functions, so
the tiny scale and SWE-bench Verified share one definition of "resolved". Everything fails closed:
a log swebench cannot read is "not resolved".
"""

from __future__ import annotations

from swebench.harness import constants as C
from swebench.harness.grading import get_eval_report
from swebench.harness.log_parsers import PARSER_REGISTRY
from swebench.types import TestSpec

from artifact.tasks.schema import Task

LOG_PARSER = "parse_log_pytest"
START, END = C.START_TEST_OUTPUT, C.END_TEST_OUTPUT
APPLY_FAILED, TIMED_OUT = C.APPLY_PATCH_FAIL, C.TESTS_TIMEOUT


def format_eval_log(test_output: str, exit_code: int, *, timed_out: bool = False,
                    apply_error: str | None = None) -> str:
    """A log in the harness layout for one test run (or for a patch that did not apply)."""
    if apply_error is not None:
        return f"{APPLY_FAILED}\n{apply_error}\n"
    lines = [START, test_output.rstrip("\n"), END, f"{C.TEST_EXIT_CODE}: {exit_code}"]
    if timed_out:
        lines.append(TIMED_OUT)
    return "\n".join(lines) + "\n"


def parse_status_map(test_output: str) -> dict[str, str]:
    """Test id -> PASSED/FAILED/ERROR/SKIPPED/XFAIL, as swebench's pytest parser reads it."""
    return PARSER_REGISTRY[LOG_PARSER](test_output, _spec_for(None))


def _spec_for(task: Task | None) -> TestSpec:
    return TestSpec(
        instance_id=task.instance_id if task else "",
        image=task.image or "" if task else "",
        eval_script_list=[],
        repo=task.repo if task else "",
        version=task.version if task else "",
        FAIL_TO_PASS=list(task.FAIL_TO_PASS) if task else [],
        PASS_TO_PASS=list(task.PASS_TO_PASS) if task else [],
        log_parser=LOG_PARSER,
        eval_type="pass_and_fail",
    )


def report_from_log(task: Task, model_patch: str | None, log_path: str, model_name: str) -> dict:
    """swebench's per-instance report (resolved, tests_status, ...) for a written log."""
    prediction = {
        "instance_id": task.instance_id,
        "model_name_or_path": model_name,
        "model_patch": model_patch,
    }
    try:
        report = get_eval_report(_spec_for(task), prediction, log_path, include_tests_status=True)
    except Exception as exc:  # noqa: BLE001 - fail closed on anything swebench cannot read
        return {"resolved": False, "error": f"grading failed: {exc}"}
    return report[task.instance_id]
