"""The built tiny suite: sizes, splits, validation rechecked through the full grading path, and
the scripted expert solving tasks from a clean and from a damaged start, all in the real sandbox."""

import json
import random
import re

import pytest

from artifact.agent.loop import AgentConfig
from artifact.cli.common import expert_factory, local_runtime
from artifact.generation.runner import RolloutJob, run_one
from artifact.grading.grade import grade_patch
from artifact.tasks.patches import MAX_CONTEXT, minimal_edit, parse_patch
from artifact.tasks.schema import load_tasks
from artifact.tasks.tiny_suite.build import VERIFIED_ONLY, build_suite, candidates


@pytest.fixture(scope="module")
def splits(tiny_suite):
    return {s: load_tasks(tiny_suite / f"{s}.jsonl") for s in ("train", "verified")}


def test_sizes_and_held_out_repository(splits):
    train, verified = splits["train"], splits["verified"]
    assert len(train) >= 300
    assert len(verified) >= 100
    train_repos = {t.repo for t in train}
    verified_repos = {t.repo for t in verified}
    assert {f"oec-tiny/{r}" for r in VERIFIED_ONLY} <= verified_repos - train_repos
    train_functions = {(t.repo, t.meta["function"]) for t in train}
    assert not train_functions & {(t.repo, t.meta["function"]) for t in verified}


def test_every_task_fails_one_to_five_tests_and_kinds_vary(splits):
    tasks = splits["train"] + splits["verified"]
    assert all(1 <= len(t.FAIL_TO_PASS) <= 5 for t in tasks)
    assert all(not set(t.FAIL_TO_PASS) & set(t.PASS_TO_PASS) for t in tasks)
    assert len({t.meta["kind"] for t in tasks}) >= 6


def test_only_issues_that_suggest_a_fix_show_it(splits):
    """About half the reporters suggest the fix, as the expert will apply it (copyable from the
    issue); the other issues name neither the file nor any corrected line."""
    tasks = splits["train"] + splits["verified"]
    suggested = [t for t in tasks if t.meta["suggested_fix"]]
    assert 0.35 <= len(suggested) / len(tasks) <= 0.65
    for task in suggested[:100]:
        [file] = parse_patch(task.patch)
        edits = [minimal_edit(file.hunks[0], context) for context in range(MAX_CONTEXT + 1)]
        fix = task.meta["suggested_fix"]
        assert fix["path"] == file.path and (fix["old"], fix["new"]) in edits
        assert f"`{file.path}`" in task.problem_statement
        assert f"```python\n{fix['old']}\n```" in task.problem_statement, task.instance_id
        assert f"```python\n{fix['new']}\n```" in task.problem_statement, task.instance_id
    for task in [t for t in tasks if not t.meta["suggested_fix"]][:200]:
        added = [line[1:].strip() for line in task.patch.splitlines()
                 if line.startswith("+") and not line.startswith("+++")]
        statement = task.problem_statement
        assert task.meta["file"] not in statement
        for line in added:
            if len(line) > 12 and not line.startswith(("return", "#", '"""')):
                assert line not in statement, (task.instance_id, line)


def test_rebuild_with_identical_inputs_is_cached(tiny_suite):
    summary = build_suite(tiny_suite, seed=0)
    assert summary.cached


def test_statements_carry_no_object_addresses(splits):
    """pytest prints reprs like `<Item object at 0x7fce...>`: an address differs between builds,
    and a suite built twice must be the same file."""
    from artifact.tasks.tiny_suite.statements import _observed

    failure = {"lines": ["    def test_add():", ">       assert invoice.items == [item]",
                         "E       assert [] == [<ledger.invo...7fce1216c3d0>]"],
               "message": "assert [] == [<ledger.invoice.Item object at 0x7fef0a75e410>]"}
    call, sentence = _observed(failure)
    assert call == "invoice.items"
    assert "7fce1216c3d0" not in sentence and "7fef0a75e410" not in sentence
    assert "object at 0x..." in sentence
    failure["message"] = "assert [] == [<ledger.invo...7fce1216c3d0>]"
    assert _observed(failure)[1].endswith("`assert [] == [<ledger.invo...>]`.")
    failure["message"] = "ValueError: chr() arg not in range(0x110000)"  # a constant: kept
    assert "range(0x110000)" in _observed(failure)[1]
    for task in [t for split in splits.values() for t in split]:
        assert not re.search(r"0x[0-9a-f]{8,}", task.problem_statement), task.instance_id


def test_candidate_sampling_is_deterministic():
    assert [m.mutated for m in candidates("ledger", 3)] == [m.mutated for m in candidates("ledger", 3)]
    assert [m.mutated for m in candidates("ledger", 3)] != [m.mutated for m in candidates("ledger", 4)]


def test_sample_rechecked_through_grading(tiny_suite, splits, tmp_path):
    tasks = random.Random(0).sample(splits["train"] + splits["verified"], 4)
    runtime = local_runtime(tiny_suite / "train.jsonl", unsafe=False)
    for task in tasks:
        gold = grade_patch(task, task.patch, runtime, tmp_path / f"{task.instance_id}.gold.log")
        empty = grade_patch(task, "", runtime, tmp_path / f"{task.instance_id}.empty.log")
        assert gold.resolved, gold.report
        assert not empty.resolved
        assert set(empty.report["tests_status"]["FAIL_TO_PASS"]["failure"]) == set(task.FAIL_TO_PASS)


def test_wrong_patch_and_edited_tests_do_not_resolve(tiny_suite, splits, tmp_path):
    task = splits["verified"][0]
    runtime = local_runtime(tiny_suite / "verified.jsonl", unsafe=False)
    test_file = task.FAIL_TO_PASS[0].split("::")[0]
    # Deleting the failing test file must not count as a fix: grading restores the tests.
    session = runtime.start(task)
    try:
        session.run(f"rm {test_file}")
        cheat = session.diff()
    finally:
        session.close()
    assert not grade_patch(task, cheat, runtime, tmp_path / "cheat.log").resolved
    assert not grade_patch(task, "not a patch", runtime, tmp_path / "garbage.log").resolved


@pytest.mark.parametrize("perturb", [False, True])
def test_scripted_expert_resolves_tasks(tiny_suite, splits, tmp_path, perturb):
    tasks = random.Random(1).sample(splits["verified"], 3)
    runtime = local_runtime(tiny_suite / "verified.jsonl", unsafe=False)
    for task in tasks:
        path = tmp_path / f"{task.instance_id}.json"
        record = run_one(RolloutJob(task, "eval", 0, path), expert_factory(perturb), runtime, AgentConfig())
        assert record.exit_status == "submitted"
        assert record.resolved, record.report
        saved = json.loads(path.read_text())
        assert saved["report"]["resolved"]
        authors = [m["author"] for m in saved["messages"] if m["role"] == "assistant"]
        if perturb:
            assert authors[0] == "student" and saved["switch_index"] >= 2
        else:
            assert set(authors) == {"expert"} and saved["switch_index"] == 0
        edits = [m["content"] for m in saved["messages"] if "<parameter=command>str_replace<" in m["content"]]
        assert edits and all("<parameter=old_str>\n" in e and "\n</parameter>" in e for e in edits)


def test_scripted_expert_views_only_lines_it_was_shown(tiny_suite, splits, tmp_path):
    """A student imitating the expert must be able to copy its arguments: every view_range starts
    at a line number a grep hit showed earlier in the conversation and runs to the end (-1)."""
    tasks = random.Random(2).sample([t for t in splits["train"] if not t.meta["suggested_fix"]], 8)
    runtime = local_runtime(tiny_suite / "train.jsonl", unsafe=False)
    ranged = 0
    for task in tasks:
        record = run_one(RolloutJob(task, "bc", 0, tmp_path / f"{task.instance_id}.json"), expert_factory(False),
                         runtime, AgentConfig())
        assert record.resolved, record.report
        for i, message in enumerate(record.messages):
            found = re.search(r"<parameter=view_range>\[(\d+), (-?\d+)\]", message["content"])
            if message["role"] != "assistant" or not found:
                continue
            ranged += 1
            shown = "".join(m["content"] for m in record.messages[:i] if m["role"] == "user")
            start = int(found.group(1))
            assert re.search(rf"^\S+\.py:{start}:", shown, flags=re.MULTILINE), message["content"]
            assert found.group(2) == "-1", message["content"]
    assert ranged  # the seeded choices include ranged views on these tasks


def test_scripted_expert_applies_a_suggested_fix_without_searching(tiny_suite, splits, tmp_path):
    """When the issue suggests the fix, the expert edits at once, and old_str and new_str are
    copies of the issue's code blocks (path included): nothing a student could not read."""
    tasks = [t for t in splits["train"] if t.meta["suggested_fix"]][:3]
    runtime = local_runtime(tiny_suite / "train.jsonl", unsafe=False)
    for task in tasks:
        record = run_one(RolloutJob(task, "bc", 0, tmp_path / f"{task.instance_id}.json"), expert_factory(False),
                         runtime, AgentConfig())
        assert record.resolved, record.report
        replies = [m["content"] for m in record.messages if m["role"] == "assistant"]
        assert not any("grep " in r or "<parameter=command>view<" in r for r in replies)
        [edit] = [r for r in replies if "<parameter=command>str_replace<" in r]
        old = re.search(r"<parameter=old_str>\n(.*?)\n</parameter>", edit, flags=re.DOTALL).group(1)
        new = re.search(r"<parameter=new_str>\n(.*?)\n</parameter>", edit, flags=re.DOTALL).group(1)
        path = re.search(r"<parameter=path>/testbed/(.*?)</parameter>", edit).group(1)
        for part in (f"```python\n{old}\n```", f"```python\n{new}\n```", f"`{path}`"):
            assert part in task.problem_statement, (task.instance_id, part)


def test_issues_name_the_function_the_expert_searches_for(splits):
    """The expert's first search is inferable: the issue names the function under test (a few
    constructor and private-helper bugs excepted), and the issue_search probe scores that name."""
    from artifact.models.tiny_base import probe

    tasks = splits["train"] + splits["verified"]
    named = [t for t in tasks if t.meta["function"].split(".")[-1] in t.problem_statement]
    assert len(named) >= 0.95 * len(tasks)
    items = probe.issue_search_items(splits["verified"], 10)
    assert len(items) == min(10, len(splits["verified"]))
    for task, item in zip(splits["verified"], items):
        assert item.answer.startswith(f" {task.meta['function'].split('.')[-1]}(' --include=*.py .")


def test_suggested_fix_probe_scores_what_the_expert_writes(splits):
    """The probe's answer is the expert's str_replace for the task, copied from its issue."""
    from artifact.models.tiny_base import probe

    items = probe.suggested_fix_items(splits["verified"], 20)
    tasks = [t for t in splits["verified"] if t.meta["suggested_fix"]][:20]
    assert len(items) == len(tasks) == 20
    for task, item in zip(tasks, items):
        path, old, new = re.fullmatch(r"testbed/(\S+)</parameter>\n<parameter=old_str>\n(.*)\n</parameter>\n"
                                      r"<parameter=new_str>\n(.*)\n</parameter>\n</function><\|im_end\|>",
                                      item.answer, flags=re.DOTALL).groups()
        assert path == task.meta["file"] and old != new
        assert f"```python\n{old}\n```" in task.problem_statement and f"```python\n{new}\n```" in task.problem_statement


def test_zero_shot_probe_rolls_the_base_model_out(tiny_suite):
    """`oec tiny-base probe --zero-shot N`: the committed base model as an agent, on real tasks."""
    from click.testing import CliRunner

    from artifact.cli.main import cli

    result = CliRunner().invoke(cli, ["tiny-base", "probe", "--n", "2", "--tasks", str(tiny_suite / "verified.jsonl"),
                                      "--zero-shot", "2"])
    assert result.exit_code == 0, result.output
    assert "zero-shot: " in result.output and "/2 resolved" in result.output
    assert "zero_shot_resolved" in result.output
