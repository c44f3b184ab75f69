import json

import pytest

from artifact.tasks.patches import parse_patch
from artifact.tasks.schema import TaskFileError, find_task, load_tasks

GOOD = {
    "instance_id": "r__f.kind.1", "repo": "oec-tiny/r", "base_commit": "abc", "patch": "", "test_patch": "",
    "FAIL_TO_PASS": ["tests/test_a.py::test_x"], "PASS_TO_PASS": [], "problem_statement": "p",
    "version": "1", "repo_path": "repos/r.git",
}


def write(tmp_path, lines):
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_loads_and_resolves_repo_path(tmp_path):
    tasks = load_tasks(write(tmp_path, [json.dumps(GOOD)]))
    assert tasks[0].repo_path == str((tmp_path / "repos/r.git").resolve())


def test_json_encoded_test_lists_are_accepted(tmp_path):
    record = {**GOOD, "FAIL_TO_PASS": json.dumps(GOOD["FAIL_TO_PASS"])}
    assert load_tasks(write(tmp_path, [json.dumps(record)]))[0].FAIL_TO_PASS == GOOD["FAIL_TO_PASS"]


@pytest.mark.parametrize("lines, expected", [
    (["{not json"], r"tasks.jsonl:1: json: "),
    ([json.dumps({k: v for k, v in GOOD.items() if k != "patch"})], r"tasks.jsonl:1: patch: missing required field"),
    ([json.dumps({**GOOD, "FAIL_TO_PASS": 3})], r"tasks.jsonl:1: FAIL_TO_PASS: expected list, got int"),
    ([json.dumps(GOOD), "", json.dumps(GOOD)], r"tasks.jsonl:3: instance_id: duplicate of line 1"),
    ([json.dumps({**GOOD, "FAIL_TO_PASS": []})], r"tasks.jsonl:1: FAIL_TO_PASS: empty"),
    (["[1, 2]"], r"tasks.jsonl:1: record: expected a JSON object"),
    ([""], r"tasks.jsonl: file: no task records"),
])
def test_bad_records_name_file_line_and_field(tmp_path, lines, expected):
    with pytest.raises(TaskFileError, match=expected) as info:
        load_tasks(write(tmp_path, lines))
    assert "\n" not in str(info.value)


def test_missing_file_and_unknown_id(tmp_path):
    with pytest.raises(TaskFileError, match="file: not found"):
        load_tasks(tmp_path / "nope.jsonl")
    tasks = load_tasks(write(tmp_path, [json.dumps(GOOD)]))
    with pytest.raises(TaskFileError, match="unknown task id 'zzz'"):
        find_task(tasks, "zzz")


def test_parse_patch_hunks():
    patch = ("diff --git a/p/x.py b/p/x.py\n--- a/p/x.py\n+++ b/p/x.py\n@@ -2,3 +2,3 @@ def f():\n"
             "     a = 1\n-    return a < 2\n+    return a <= 2\n     # end\n")
    (file,) = parse_patch(patch)
    assert file.path == "p/x.py"
    (hunk,) = file.hunks
    assert hunk.old_start == 2
    assert hunk.old_text == "    a = 1\n    return a < 2\n    # end"
    assert hunk.new_text == "    a = 1\n    return a <= 2\n    # end"
    assert hunk.removed == ["    return a < 2"]
