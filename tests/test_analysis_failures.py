"""Failure buckets: hand-built unresolved trajectories for each deterministic bucket, the run-level
counts and report files, the LLM judge against a local fake OpenAI server, the CLI."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_openai_server import FakeOpenAIServer, completion

from artifact.agent.actions import format_call
from artifact.agent.prompts import FORMAT_ERROR_TEMPLATE
from artifact.agent.trajectory import Trajectory
from artifact.analysis.failure_report import write_failure_report
from artifact.analysis.failures import BUCKETS, classify, failure_modes
from artifact.analysis.judge import LLMJudge, judge_messages, parse_verdict
from artifact.analysis.patched_files import apply_hunks, edited_files, post_patch_sources
from artifact.analysis.trajectory_files import AnalysisError
from artifact.cli.main import cli
from artifact.tasks.patches import parse_patch
from artifact.tasks.schema import Task

CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
OTHER = "NAME = 'other'\n"
GOLD = ("diff --git a/pkg/calc.py b/pkg/calc.py\n--- a/pkg/calc.py\n+++ b/pkg/calc.py\n"
        "@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n")
WRONG_FIX = GOLD.replace("a + b", "b - a")
BROKEN_FIX = GOLD.replace("a + b", "a +* b")
BAD_INDENT = GOLD.replace("+    return a + b", "+  return a + b\n+     x = 1")
OTHER_FILE = ("diff --git a/pkg/other.py b/pkg/other.py\n--- a/pkg/other.py\n+++ b/pkg/other.py\n"
              "@@ -1 +1 @@\n-NAME = 'other'\n+NAME = 'fixed'\n")
NEW_FILE = ("diff --git a/pkg/new.py b/pkg/new.py\nnew file mode 100644\nindex 0000000..1111111\n"
            "--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1,2 @@\n+def f(:\n+    pass\n")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> tuple[Path, str]:
    """A throwaway git repository in a temporary folder holding the task's base commit."""
    root = tmp_path_factory.mktemp("repo")
    (root / "pkg").mkdir()
    (root / "pkg" / "calc.py").write_text(CALC)
    (root / "pkg" / "other.py").write_text(OTHER)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env)
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True, env=env,
                          capture_output=True, text=True).stdout.strip()
    return root, head


@pytest.fixture(scope="module")
def task(repo) -> Task:
    root, head = repo
    return Task("calc-1", "tiny/calc", head, GOLD, "", ["test_add"], [],
                "add(2, 3) returns -1 instead of 5.", "1", repo_path=str(root))


def traj(steps, exit_status="submitted", patch="", resolved=False, iid="calc-1") -> Trajectory:
    """steps: (reply, observation or None, exit code, observation type) tuples."""
    record = Trajectory(iid, "eval", 0, exit_status=exit_status, patch=patch,
                        report={"resolved": resolved})
    record.messages = [{"role": "system", "content": "sys", "kind": "system"},
                       {"role": "user", "content": "issue", "kind": "instance"}]
    for reply, observation, code, kind in steps:
        record.messages.append({"role": "assistant", "content": reply, "author": "student"})
        if observation is not None:
            record.messages.append({"role": "user", "kind": "observation", "content": observation,
                                    "observation_type": kind, "exit_code": code})
    return record


def bash(command: str, output: str = "ok", code: int = 0):
    return (format_call("bash", "look", command=command), f"OBSERVATION:\n{output}", code,
            "observation")


def edit(path: str = "/w/pkg/calc.py", code: int = 1):
    reply = format_call("str_replace_editor", "edit", command="str_replace", path=path,
                        old_str="x", new_str="y")
    return (reply, "OBSERVATION:\nNo replacement was performed", code, "observation")


BAD_FORMAT = ("I will just think.", FORMAT_ERROR_TEMPLATE.format(error="no call"), None,
              "format_error")
SUBMIT = (format_call("submit"), None, None, None)
VARIED = [bash("ls"), bash("cat pkg/calc.py"), bash("grep -n add pkg")]

CASES = {
    "infinite_loop": traj([bash("ls")] * 3 + [SUBMIT], patch=BROKEN_FIX, exit_status="call_limit"),
    "call_limit": traj(VARIED, exit_status="call_limit", patch=GOLD),
    "context_overflow": traj(VARIED, exit_status="context_limit"),
    "syntax_error": traj(VARIED + [SUBMIT], patch=BROKEN_FIX),
    "tool_error": traj(VARIED + [edit(), edit("/w/pkg/b.py"), BAD_FORMAT, SUBMIT], patch=GOLD),
    "identified_incorrect_file": traj(VARIED + [SUBMIT], patch=OTHER_FILE),
    "wrong_solution": traj(VARIED + [SUBMIT], patch=WRONG_FIX),
    "other": traj(VARIED + [SUBMIT], patch=""),
}


@pytest.mark.parametrize("bucket", list(CASES))
def test_each_bucket(bucket, task):
    assert classify(CASES[bucket], task).bucket == bucket


def test_a_stuck_exit_is_an_infinite_loop(task):
    # Two repeats in a period-2 loop stay under the repetition rule; the stop itself says loop.
    looping = traj([bash("ls"), bash("cat a"), bash("ls"), bash("cat a")], exit_status="stuck",
                   patch=WRONG_FIX)
    looping.error = "the same action gave the same output 2 times"
    verdict = classify(looping, task)
    assert verdict.bucket == "infinite_loop" and "same output" in verdict.reason


def test_syntax_error_details_and_fallbacks(task):
    verdict = classify(traj(VARIED + [SUBMIT], patch=BAD_INDENT), task)
    assert verdict.bucket == "syntax_error" and "IndentationError" in verdict.reason
    assert classify(traj(VARIED, patch=NEW_FILE), task).bucket == "syntax_error"  # created file
    # No repository (docker task): a SyntaxError traceback in the last observations decides.
    docker = Task(**{**task.to_json(), "repo_path": None, "image": "img"})
    traceback = bash("python -m pytest",
                     'File "pkg/calc.py", line 2\nSyntaxError: invalid syntax', 1)
    assert classify(traj(VARIED + [traceback, SUBMIT], patch=GOLD), docker).bucket == "syntax_error"
    assert classify(traj(VARIED + [SUBMIT], patch=GOLD), docker).bucket == "wrong_solution"
    # With the post-patch file available and compiling, a stale traceback does not count.
    assert classify(traj(VARIED + [traceback, SUBMIT], patch=WRONG_FIX), task).bucket == \
        "wrong_solution"


def test_tool_error_rules(task):
    assert classify(traj(VARIED + [BAD_FORMAT] * 2, exit_status="format_error", patch=GOLD),
                    task).bucket == "tool_error"
    # Two editor errors among the last five observations are not a majority.
    mixed = traj([bash("ls"), bash("pwd"), edit(), edit("/w/pkg/b.py"), bash("cat a"), SUBMIT],
                 patch=WRONG_FIX)
    assert classify(mixed, task).bucket == "wrong_solution"
    ok_edits = traj(VARIED + [edit(code=0), edit("/w/b.py", code=0), SUBMIT], patch=WRONG_FIX)
    assert classify(ok_edits, task).bucket == "wrong_solution"


def test_patch_helpers():
    assert edited_files(GOLD + OTHER_FILE) == {"pkg/calc.py", "pkg/other.py"}
    deleted = ("diff --git a/old.py b/old.py\ndeleted file mode 100644\n"
               "--- a/old.py\n+++ /dev/null\n")
    assert edited_files(deleted) == {"old.py"}
    (calc,) = parse_patch(GOLD)
    assert apply_hunks(CALC, calc.hunks) == CALC.replace("a - b", "a + b")
    assert apply_hunks("something else\n", calc.hunks) is None
    missing = post_patch_sources(Task("x", "r", "c", "", "", ["t"], [], "", "1"), GOLD)
    assert missing == {"pkg/calc.py": None}


def write_run(folder: Path, records: list[Trajectory]) -> Path:
    for n, record in enumerate(records):
        record.save(folder / "trajectories" / f"{record.instance_id}__{n}.json")
    return folder


def test_failure_modes_counts_and_report(task, tmp_path):
    resolved = traj(VARIED + [SUBMIT], patch=GOLD, resolved=True)
    ungraded = traj(VARIED + [SUBMIT], patch=GOLD)
    ungraded.report = None
    runs = {"bc": write_run(tmp_path / "bc", list(CASES.values()) + [resolved, ungraded]),
            "oec": write_run(tmp_path / "oec", [CASES["wrong_solution"], resolved])}
    result = failure_modes([task], runs)
    bc, oec = result["runs"]["bc"], result["runs"]["oec"]
    assert (bc["trajectories"], bc["resolved"], bc["ungraded"], bc["unresolved"]) == (10, 1, 1, 8)
    assert bc["counts"] == {b: 1 for b in BUCKETS}
    assert oec["counts"]["wrong_solution"] == 1 and sum(oec["counts"].values()) == 1
    paths = write_failure_report(result, tmp_path / "out")
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"
    markdown = paths["md"].read_text()
    assert "| bucket | bc | oec |" in markdown
    assert "| wrong_solution | 1 (12%) | 1 (100%) |" in markdown
    assert json.loads(paths["json"].read_text())["runs"]["oec"]["items"][0]["bucket"] == \
        "wrong_solution"


def test_failure_modes_bad_input(task, tmp_path):
    solved = write_run(tmp_path / "solved", [traj(VARIED, patch=GOLD, resolved=True)])
    with pytest.raises(AnalysisError, match="no unresolved trajectories"):
        failure_modes([task], {"m": solved})
    stranger = write_run(tmp_path / "stranger", [traj(VARIED, iid="unknown-7")])
    with pytest.raises(AnalysisError, match="'unknown-7' is not in the tasks"):
        failure_modes([task], {"m": stranger})
    with pytest.raises(AnalysisError, match="not a directory"):
        failure_modes([task], {"m": tmp_path / "missing"})


# -- the LLM judge ---------------------------------------------------------------------------------

def test_parse_verdict():
    assert parse_verdict("wrong_solution") == ("wrong_solution", True)
    assert parse_verdict("**Category: Tool error**\nbecause ...") == ("tool_error", True)
    assert parse_verdict("The agent edited the other module: identified_incorrect_file.") == \
        ("identified_incorrect_file", True)
    assert parse_verdict("other") == ("other", True)
    assert parse_verdict("I cannot tell.") == ("other", False)
    assert parse_verdict("syntax_error or tool_error") == ("other", False)


def test_judge_prompt_holds_the_last_20_steps(task):
    long_run = traj([bash(f"cat f{k}", "x" * 5000) for k in range(25)], exit_status="call_limit")
    _system, user = judge_messages(task, long_run)
    text = user["content"]
    assert task.problem_statement in text and "## Exit status\ncall_limit" in text
    assert "### Step 6 action" in text and "### Step 5 action" not in text
    assert "characters cut" in text and "missed_edge_case" in text
    assert "context_overflow_from_listing" in text


def test_judge_through_a_fake_server(task, tmp_path):
    run = write_run(tmp_path / "run", [CASES["identified_incorrect_file"], CASES["wrong_solution"]])
    with FakeOpenAIServer([completion("identified_incorrect_file"),
                           completion("Hard to say, honestly.")]) as server:
        judge = LLMJudge(server.url, "judge-model", max_retries=0)
        result = failure_modes([task], {"m": run}, judge=judge)
        sent = server.chat_requests[0].body
    assert sent["model"] == "judge-model" and sent["temperature"] == 0.0
    assert task.problem_statement in sent["messages"][1]["content"]
    items = result["runs"]["m"]["items"]
    assert items[0]["judge"] == {"bucket": "identified_incorrect_file", "valid": True,
                                 "raw": "identified_incorrect_file"}
    assert items[1]["judge"] == {"bucket": "other", "valid": False, "raw": "Hard to say, honestly."}
    assert result["runs"]["m"]["judge_counts"]["other"] == 1
    paths = write_failure_report(result, tmp_path / "out")
    assert "LLM judge" in paths["md"].read_text() and paths["judge_png"].is_file()


# -- CLI -------------------------------------------------------------------------------------------

def test_cli_failures(task, tmp_path):
    tasks_file = tmp_path / "tasks.jsonl"
    tasks_file.write_text(json.dumps(task.to_json()) + "\n")
    run = write_run(tmp_path / "run", [CASES["wrong_solution"], CASES["syntax_error"]])
    runner = CliRunner()
    out = tmp_path / "out"
    ok = runner.invoke(cli, ["analyze", "failures", "--tasks", str(tasks_file), "--run",
                             f"oec={run}", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert {p.name for p in out.iterdir()} == {"failure_modes.json", "failure_modes.md",
                                               "failure_modes.png"}
    missing = runner.invoke(cli, ["analyze", "failures", "--tasks", str(tasks_file), "--run",
                                  f"oec={tmp_path / 'nope'}", "--out", str(out)])
    assert missing.exit_code != 0 and missing.output.startswith("error: --run")
    solved = write_run(tmp_path / "solved", [traj(VARIED, patch=GOLD, resolved=True)])
    none = runner.invoke(cli, ["analyze", "failures", "--tasks", str(tasks_file), "--run",
                               f"oec={solved}", "--out", str(out)])
    assert none.exit_code != 0
    assert none.output.strip().splitlines()[-1] == \
        "error: no unresolved trajectories in the given runs"
    down = runner.invoke(cli, ["analyze", "failures", "--tasks", str(tasks_file), "--run",
                               f"oec={run}", "--out", str(out), "--judge-url",
                               "http://127.0.0.1:9/v1", "--judge-model", "m",
                               "--judge-retries", "0"])
    assert down.exit_code != 0 and "error: endpoint" in down.output
