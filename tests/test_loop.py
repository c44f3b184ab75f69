import json

from artifact.agent.actions import format_call
from artifact.agent.loop import AgentConfig, run_agent
from artifact.agent.trajectory import Trajectory
from artifact.policies.base import PolicyError, Reply
from artifact.policies.schedules import fixed, never
from artifact.policies.switching import SwitchingPolicy
from artifact.runtime.instant import InstantSession
from artifact.tasks.schema import Task

TASK = Task("t1", "r", "c", "", "", ["tests/test_a.py::test_x"], [], "Something is broken.", "1", repo_path="x")


class Scripted:
    """Replies from a fixed list, then repeats the last one."""

    def __init__(self, replies, name="fake"):
        self.replies, self.name, self.i = replies, name, 0

    def act(self, messages):
        reply = self.replies[min(self.i, len(self.replies) - 1)]
        self.i += 1
        if isinstance(reply, Exception):
            raise reply
        return Reply(reply, "?", self.name, prompt_tokens=10, completion_tokens=5)


LS = format_call("bash", "look", command="ls")
SUBMIT = format_call("submit", "done")


def run(policy, tmp_path, **config):
    record = Trajectory("t1", "test", 0)
    path = tmp_path / "traj.json"
    run_agent(TASK, InstantSession(), policy, record, AgentConfig(**config), save_to=path)
    return record, json.loads(path.read_text())


def test_submit_after_switch_records_authors_and_switch_index(tmp_path):
    policy = SwitchingPolicy(Scripted([LS]), Scripted([LS, SUBMIT]), fixed(2).bind("t1", 0))
    record, saved = run(policy, tmp_path)
    assert record.exit_status == "submitted"
    authors = [m["author"] for m in record.assistant_messages()]
    assert authors == ["student", "student", "expert", "expert"]
    assert record.switch_index == 2
    assert saved["switch_index"] == 2 and saved["exit_status"] == "submitted"
    assert saved["patch"].startswith("diff --git")
    assert all("elided" in m for m in saved["messages"] if m["role"] == "assistant")


def test_student_that_submits_before_k_gives_only_student_turns(tmp_path):
    policy = SwitchingPolicy(Scripted([LS, SUBMIT]), Scripted([LS]), fixed(10).bind("t1", 0))
    record, _ = run(policy, tmp_path)
    assert {m["author"] for m in record.assistant_messages()} == {"student"}
    assert record.switch_index is None


def test_consecutive_format_errors_end_the_rollout(tmp_path):
    policy = SwitchingPolicy(Scripted(["no call here"]), None, never().bind("t1", 0))
    record, _ = run(policy, tmp_path, max_format_errors=3)
    assert record.exit_status == "format_error"
    observations = [m for m in record.messages if m.get("observation_type") == "format_error"]
    assert len(observations) == 3


def test_a_good_reply_resets_the_format_error_count(tmp_path):
    policy = SwitchingPolicy(Scripted(["bad", "bad", LS, "bad", "bad", SUBMIT]), None, never().bind("t1", 0))
    record, _ = run(policy, tmp_path, max_format_errors=3)
    assert record.exit_status == "submitted"


def test_call_limit_per_policy(tmp_path):
    policy = SwitchingPolicy(Scripted([LS]), None, never().bind("t1", 0), call_limit=4)
    record, _ = run(policy, tmp_path)
    assert record.exit_status == "call_limit"
    assert len(record.assistant_messages()) == 4


CAT = format_call("bash", "read it", command="cat a.py")


def test_a_student_that_repeats_an_action_and_its_output_is_stuck(tmp_path):
    # A two-step loop, reworded: the thought is not part of the action.
    ls_again = format_call("bash", "look again", command="ls")
    policy = SwitchingPolicy(Scripted([LS, CAT, ls_again, CAT, LS, CAT]), None,
                             never().bind("t1", 0), call_limit=30)
    record, saved = run(policy, tmp_path, stuck_after=3)
    assert record.exit_status == "stuck" and saved["exit_status"] == "stuck"
    assert len(record.assistant_messages()) == 5  # the third `ls` with the same output
    assert record.messages[-1]["role"] == "user"  # its output is recorded before stopping
    assert saved["patch"].startswith("diff --git")  # the workspace is still graded


def test_without_stuck_after_a_loop_runs_to_the_call_limit(tmp_path):
    policy = SwitchingPolicy(Scripted([LS]), None, never().bind("t1", 0), call_limit=6)
    record, _ = run(policy, tmp_path)
    assert record.exit_status == "call_limit"


class CountingSession(InstantSession):
    """Every command prints something new, like a file that keeps changing."""

    def run(self, command, timeout=None):
        result = super().run(command, timeout)
        result.output += f"{len(self.commands)}\n"
        return result


def test_the_same_action_with_new_output_is_not_stuck(tmp_path):
    policy = SwitchingPolicy(Scripted([LS]), None, never().bind("t1", 0), call_limit=6)
    record = Trajectory("t1", "test", 0)
    run_agent(TASK, CountingSession(), policy, record, AgentConfig(stuck_after=2))
    assert record.exit_status == "call_limit"


def test_policy_error_is_a_runtime_error(tmp_path):
    policy = SwitchingPolicy(Scripted([LS, PolicyError("endpoint down")]), None, never().bind("t1", 0))
    record, _ = run(policy, tmp_path)
    assert record.exit_status == "runtime_error"
    assert "endpoint down" in record.error


def test_wall_time_limit(tmp_path):
    policy = SwitchingPolicy(Scripted([LS]), None, never().bind("t1", 0))
    record, _ = run(policy, tmp_path, wall_time_limit=0.0)
    assert record.exit_status == "timeout"


def test_observations_are_elided_in_requests_but_kept_in_the_record(tmp_path):
    policy = SwitchingPolicy(Scripted([LS] * 8 + [SUBMIT]), None, never().bind("t1", 0))
    record, _ = run(policy, tmp_path)
    last = record.assistant_messages()[-1]
    assert len(last["elided"]) == 3
    assert all(record.messages[i]["content"].startswith("OBSERVATION") for i in last["elided"])


def test_expert_edits_only_the_changed_lines_widening_when_not_unique():
    from artifact.tasks.patches import Hunk, minimal_edit, unique_edit

    hunk = Hunk(10, ["a", "b", "c", "x", "d", "e", "f"], ["a", "b", "c", "y", "d", "e", "f"])
    assert minimal_edit(hunk) == ("x", "y")
    assert minimal_edit(hunk, 1) == ("c\nx\nd", "c\ny\nd")
    assert minimal_edit(hunk, 3) == ("\n".join(hunk.old_lines), "\n".join(hunk.new_lines))
    insertion = Hunk(10, ["a", "b", "c", "d"], ["a", "b", "N", "c", "d"])
    assert minimal_edit(insertion) == ("b", "b\nN")  # anchored on the line before
    at_top = Hunk(1, ["d", "e"], ["N", "d", "e"])
    assert minimal_edit(at_top) == ("d", "N\nd")
    # What the suite's suggested fixes quote: the first width the file holds only once.
    assert unique_edit(hunk, "a\nb\nc\nx\nd\ne\nf\n") == ("x", "y")
    assert unique_edit(hunk, "x\na\nb\nc\nx\nd\ne\nf\n") == ("c\nx\nd", "c\ny\nd")
    assert unique_edit(hunk, "no such line\n") is None
