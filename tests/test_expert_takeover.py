"""The scripted expert taking over from a student continues from the student's state: no
restart after read-only turns, correct edits kept, wrong ones undone; unchanged without a student.
Rollouts run in the real sandbox on the tiny suite."""

import random
import re
import shlex

import pytest

from artifact.agent.actions import format_call, parse_action
from artifact.agent.loop import AgentConfig
from artifact.cli.common import local_runtime
from artifact.generation.runner import RolloutJob, run_one
from artifact.policies.base import STUDENT, Reply
from artifact.policies.expert_takeover import ContinuingExpert, correct_files, may_write
from artifact.policies.schedules import always_expert, fixed
from artifact.policies.scripted_expert import ScriptedExpert, parse_status
from artifact.policies.switching import SwitchingPolicy
from artifact.tasks.patches import minimal_edit, parse_patch
from artifact.tasks.schema import load_tasks


class ScriptedStudent:
    """A student whose replies are given in advance."""

    name = "scripted-student"

    def __init__(self, replies: list[str]):
        self.replies = list(replies)

    def act(self, messages: list[dict]) -> Reply:
        return Reply(text=self.replies.pop(0), author=STUDENT, model=self.name)


@pytest.fixture(scope="module")
def tasks(tiny_suite):
    train = load_tasks(tiny_suite / "train.jsonl")
    # one-file, one-hunk tasks whose issue does not spell out the fix: the expert must explore
    return [t for t in train if not t.meta["suggested_fix"] and len(parse_patch(t.patch)) == 1
            and len(parse_patch(t.patch)[0].hunks) == 1]


def _roll(tiny_suite, tmp_path, task, student_replies):
    k = len(student_replies)
    policy = SwitchingPolicy(ScriptedStudent(student_replies), ContinuingExpert(task, 0, "/testbed"),
                             fixed(k).bind(task.instance_id, 0))
    runtime = local_runtime(tiny_suite / "train.jsonl", unsafe=False)
    record = run_one(RolloutJob(task, "oec", 0, tmp_path / f"{task.instance_id}.json"), policy_factory(policy),
                     runtime, AgentConfig())
    expert = [parse_action(m["content"]) for m in record.messages
              if m["role"] == "assistant" and m["author"] == "expert"]
    return record, expert


def policy_factory(policy):
    return lambda task, seed, workdir: policy


def _commands(calls) -> list[str]:
    return [c.arguments.get("command", c.name) for c in calls]


def test_after_read_only_turns_the_expert_edits_without_starting_over(tiny_suite, tmp_path, tasks):
    task = tasks[0]
    [file] = parse_patch(task.patch)
    function = task.meta["function"].split(".")[-1]
    student = [format_call("bash", "Search.", command=f"grep -rn 'def {function}(' --include=*.py ."),
               format_call("str_replace_editor", "Read it.", command="view", path=f"/testbed/{file.path}")]
    record, expert = _roll(tiny_suite, tmp_path, task, student)
    assert record.resolved, record.report
    assert record.switch_index == 2
    # the code is on screen: no status check, no reset, no new search; the first call is the fix
    assert expert[0].arguments["command"] == "str_replace", _commands(expert)
    assert not any("git" in c or "grep" in c for c in _commands(expert))


def test_a_visible_grep_hit_is_reused(tiny_suite, tmp_path, tasks):
    task = tasks[1]
    function = task.meta["function"].split(".")[-1]
    student = [format_call("bash", "Search.", command=f"grep -rn 'def {function}(' --include=*.py .")]
    record, expert = _roll(tiny_suite, tmp_path, task, student)
    assert record.resolved, record.report
    assert expert[0].arguments["command"] == "view", _commands(expert)
    assert not any("grep" in c for c in _commands(expert))


def test_after_a_refused_edit_the_expert_goes_on_without_checking_the_tree(tiny_suite, tmp_path, tasks):
    """An edit the editor refused (wrong path) changed nothing, as its visible output says: the
    expert searches for the code instead of checking git status."""
    task = tasks[3]
    [file] = parse_patch(task.patch)
    old, new = minimal_edit(file.hunks[0], 0)
    student = [format_call("str_replace_editor", "Fix.", command="str_replace", path="/testbed/no/such.py",
                           old_str=f"\n{old}\n", new_str=f"\n{new}\n")]
    record, expert = _roll(tiny_suite, tmp_path, task, student)
    assert record.resolved, record.report
    commands = _commands(expert)
    assert not any(c.startswith("git") for c in commands), commands
    assert any(c.startswith("grep") for c in commands), commands


def test_correct_edits_are_kept_and_wrong_changes_undone(tiny_suite, tmp_path, tasks):
    task = tasks[2]
    [file] = parse_patch(task.patch)
    old, new = minimal_edit(file.hunks[0], 3)  # the gold change, with context (surely unique)
    other = next(t for t in tasks if parse_patch(t.patch)[0].path != file.path)
    other_path = parse_patch(other.patch)[0].path
    student = [
        format_call("str_replace_editor", "Fix.", command="str_replace", path=f"/testbed/{file.path}",
                    old_str=f"\n{old}\n", new_str=f"\n{new}\n"),
        format_call("bash", "Break.", command=f"echo '# junk' >> {shlex.quote(other_path)} && touch notes.txt"),
    ]
    record, expert = _roll(tiny_suite, tmp_path, task, student)
    assert record.resolved, record.report
    commands = _commands(expert)
    assert commands[:3] == ["git status --short --untracked-files=all", "git diff HEAD",
                            f"git checkout -q -- {other_path} && rm -rf -- notes.txt"], commands
    # the student's correct edit stays: the expert neither undoes nor repeats it
    assert "str_replace" not in commands and file.path not in commands[2]
    assert commands[-2].startswith("python -m pytest") and expert[-1].name == "submit"


def test_without_a_student_the_expert_is_the_from_scratch_script(tiny_suite, tmp_path, tasks):
    """BC rollouts do not change: no student turns -> exactly the scripted expert's replies."""
    runtime = local_runtime(tiny_suite / "train.jsonl", unsafe=False)
    for task in random.Random(3).sample(tasks, 3):
        replies = []
        for expert in (ScriptedExpert(task, 0, "/testbed"), ContinuingExpert(task, 0, "/testbed")):
            policy = SwitchingPolicy(None, expert, always_expert().bind(task.instance_id, 0))
            record = run_one(RolloutJob(task, "bc", 0, tmp_path / f"{type(expert).__name__}.json"),
                             policy_factory(policy), runtime, AgentConfig())
            replies.append([m["content"] for m in record.messages if m["role"] == "assistant"])
        assert replies[0] == replies[1]


@pytest.mark.parametrize("command, writes", [
    ("grep -rn 'def f(' --include=*.py .", False), ("cat a.py | head -20", False),
    ("python -m pytest -q tests/test_a.py 2>&1", False), ("git status && git diff", False),
    ("find . -name '*.py' > /dev/null", False), ("sed -n 1,20p a.py", False),
    ("sed -i 's/a/b/' a.py", True), ("echo x > a.py", True), ("python fix.py", True),
    ("find . -name '*.pyc' -delete", True), ("git checkout -- a.py", True), ("rm a.py", True),
])
def test_which_bash_commands_may_write(command, writes):
    assert may_write(parse_action(format_call("bash", command=command))) is writes


def test_editor_calls_other_than_view_may_write():
    view = format_call("str_replace_editor", command="view", path="/testbed/a.py")
    create = format_call("str_replace_editor", command="create", path="/testbed/b.py", file_text="x")
    assert not may_write(parse_action(view)) and may_write(parse_action(create))
    assert not may_write(parse_action(format_call("submit")))


GOLD = """--- a/pkg/a.py
+++ b/pkg/a.py
@@ -3,7 +3,7 @@
 def f(x):
     y = 1
     z = 2
-    return x - y
+    return x + y
 
 
 def g():
@@ -20,4 +20,4 @@
 def h():
     a = 1
     b = 2
-    return a
+    return b
"""


def _diff(path, old_start, removed, added, context=("    pass",)):
    body = "".join(f" {c}\n" for c in context) + f"-{removed}\n+{added}\n"
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -{old_start},2 +{old_start},2 @@\n{body}"


def test_correct_files_keeps_only_files_whose_every_change_is_gold():
    gold = {f.path: f.hunks for f in parse_patch(GOLD)}
    right = _diff("pkg/a.py", 5, "    return x - y", "    return x + y", context=("    z = 2",))
    assert correct_files(right, gold) == {"pkg/a.py": {0}}
    wrong = _diff("pkg/a.py", 5, "    return x - y", "    return x * y")
    assert correct_files(wrong, gold) == {}
    elsewhere = _diff("pkg/b.py", 5, "    return x - y", "    return x + y")
    assert correct_files(right + elsewhere, gold) == {"pkg/a.py": {0}}
    assert correct_files(right + "[output truncated: 9000 characters total, showing the first 8000]",
                         gold) == {}
    assert correct_files("fatal: not a git repository", gold) == {}


def test_parse_status_splits_tracked_untracked_and_staged():
    status = "OBSERVATION:\n M pkg/a.py\n?? notes.txt\nR  pkg/b.py -> pkg/c.py\n D tests/t.py\n"
    assert parse_status(status) == (["pkg/a.py", "pkg/b.py", "tests/t.py"], ["notes.txt", "pkg/c.py"], True)
    assert parse_status("OBSERVATION:\n M pkg/a.py\n") == (["pkg/a.py"], [], False)


def test_the_expert_reads_only_visible_observations():
    """An elided observation (outside the model's window) does not count as shown."""
    from artifact.agent.prompts import ELIDED_OBSERVATION
    from artifact.policies.expert_takeover import read_student_state

    view = format_call("str_replace_editor", command="view", path="/testbed/a.py")
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "issue"},
                {"role": "assistant", "content": view},
                {"role": "user", "content": ELIDED_OBSERVATION.format(n=40)},
                {"role": "assistant", "content": format_call("bash", command="python -m pytest -q")},
                {"role": "user", "content": "OBSERVATION:\n1 failed"}]
    state = read_student_state(messages)
    assert [c.name for c, _ in state.shown] == ["bash"] and state.ran_tests and not state.may_have_written
    # an edit is a write unless its visible output shows the editor refused it
    edit = format_call("str_replace_editor", command="str_replace", path="/testbed/a.py", old_str="x", new_str="y")
    for output, writes in [("OBSERVATION:\nThe path /testbed/a.py does not exist.", False),
                           ("OBSERVATION:\nThe file /testbed/a.py has been edited. ...", True),
                           (ELIDED_OBSERVATION.format(n=3), True)]:
        turns = [{"role": "assistant", "content": edit}, {"role": "user", "content": output}]
        assert read_student_state(messages[:2] + turns).may_have_written is writes, output
    assert re.search("failed", state.shown[0][1])
