"""Bad input gets one clear line on stderr and a non-zero exit."""

import json

import pytest
from click.testing import CliRunner

from artifact.cli.main import cli

GOOD = {
    "instance_id": "r__f.kind.1", "repo": "oec-tiny/r", "base_commit": "abc", "patch": "", "test_patch": "",
    "FAIL_TO_PASS": ["tests/test_a.py::test_x"], "PASS_TO_PASS": [], "problem_statement": "p",
    "version": "1", "repo_path": "repos/r.git",
}


def invoke(*args):
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stderr.strip()


@pytest.fixture
def tasks_file(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(GOOD) + "\n")
    return path


def assert_one_line(code, err, expected):
    assert code != 0
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    assert expected in err


def test_malformed_jsonl(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instance_id": \n')
    assert_one_line(*invoke("rollout", "--tasks", str(bad), "--task-id", "x"), f"{bad}:1: json:")


def test_missing_field(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({k: v for k, v in GOOD.items() if k != "FAIL_TO_PASS"}) + "\n")
    assert_one_line(*invoke("evaluate", "--tasks", str(bad), "--out", str(tmp_path / "o")),
                    f"{bad}:1: FAIL_TO_PASS: missing required field")


@pytest.mark.parametrize("command", ["evaluate", "generate", "rollout", "grade"])
def test_task_file_without_its_repositories(tasks_file, tmp_path, command):
    """A task file copied without the repos/ beside it: one line, before any rollout starts."""
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"instance_id": GOOD["instance_id"], "model_patch": ""}) + "\n")
    out = tmp_path / "out"
    args = {"evaluate": ["--out", str(out)],
            "generate": ["--strategy", "bc", "--expert", "scripted", "--out", str(out)],
            "rollout": ["--task-id", GOOD["instance_id"]],
            "grade": ["--predictions", str(preds), "--out", str(tmp_path / "r.json")]}[command]
    assert_one_line(*invoke(command, "--tasks", str(tasks_file), *args),
                    f"repository {tmp_path / 'repos/r.git'} not found")
    assert not out.exists()


def test_unknown_task_id(tasks_file):
    assert_one_line(*invoke("rollout", "--tasks", str(tasks_file), "--task-id", "nope"), "unknown task id 'nope'")


def test_missing_predictions_file(tasks_file, tmp_path):
    assert_one_line(*invoke("grade", "--tasks", str(tasks_file), "--predictions", str(tmp_path / "p.jsonl"),
                            "--out", str(tmp_path / "r.json")), "predictions file not found")


def test_prediction_for_unknown_instance(tasks_file, tmp_path):
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"instance_id": "zzz", "model_patch": ""}) + "\n")
    assert_one_line(*invoke("grade", "--tasks", str(tasks_file), "--predictions", str(preds),
                            "--out", str(tmp_path / "r.json")), "unknown task id 'zzz'")


def test_missing_tasks_file(tmp_path):
    assert_one_line(*invoke("evaluate", "--tasks", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o")),
                    "file: not found")


def test_unknown_policy(tasks_file, tmp_path):
    assert_one_line(*invoke("evaluate", "--policy", "gpt", "--tasks", str(tasks_file), "--out", str(tmp_path / "o")),
                    "unknown policy")


def test_evaluate_model_that_is_not_a_model_folder(tasks_file, tmp_path):
    assert_one_line(*invoke("evaluate", "--model", str(tmp_path), "--tasks", str(tasks_file), "--out",
                            str(tmp_path / "o")), "not a model folder")


def test_evaluate_policy_and_model_together(tasks_file, tmp_path):
    assert_one_line(*invoke("evaluate", "--policy", "expert", "--model", str(tmp_path), "--tasks", str(tasks_file),
                            "--out", str(tmp_path / "o")), "not both")


def test_zero_shot_probe_needs_tasks():
    assert_one_line(*invoke("tiny-base", "probe", "--zero-shot", "2", "--n", "1"), "--zero-shot needs --tasks")


def test_suggested_fix_share_out_of_range(tmp_path):
    out = tmp_path / "suite"
    assert_one_line(*invoke("tasks", "build", "--out", str(out), "--suggested-fix-share", "1.5"),
                    "--suggested-fix-share must lie between 0 and 1")
    assert not out.exists()  # nothing started


def test_stuck_after_with_an_expert_to_come(tasks_file, tmp_path):
    # A looping student is what the expert of an OEC rollout corrects: stopping it is refused.
    assert_one_line(*invoke("generate", "--tasks", str(tasks_file), "--strategy", "oec",
                            "--student", str(tmp_path), "--stuck-after", "3",
                            "--out", str(tmp_path / "o")),
                    "stuck_after stops rollouts without an expert (on-policy), not oec")
    assert not (tmp_path / "o").exists()
