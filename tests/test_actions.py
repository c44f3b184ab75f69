import pytest

from artifact.agent.actions import FormatError, format_call, parse_action, to_command
from artifact.agent.history import model_view
from artifact.agent.prompts import ELIDED_OBSERVATION


def test_parses_one_bash_call_with_reasoning():
    call = parse_action("Let me look.\n\n<function=bash>\n<parameter=command>ls -la</parameter>\n</function>")
    assert call.name == "bash"
    assert call.arguments == {"command": "ls -la"}
    assert call.thought == "Let me look."


def test_multiline_parameter_keeps_inner_newlines():
    reply = "x\n<function=str_replace_editor>\n<parameter=command>str_replace</parameter>\n" \
            "<parameter=path>/testbed/a.py</parameter>\n<parameter=old_str>\n  a = 1\n  b = 2\n</parameter>\n" \
            "<parameter=new_str>  a = 2</parameter>\n</function>"
    call = parse_action(reply)
    assert call.arguments["old_str"] == "  a = 1\n  b = 2"
    assert call.arguments["new_str"] == "  a = 2"


@pytest.mark.parametrize("reply, message", [
    ("just text", "no function call"),
    ("<function=bash><parameter=command>ls</parameter>", "not closed"),
    ("<function=bash><parameter=command>a</parameter></function><function=submit></function>", "2 function calls"),
    ("<function=rm_rf></function>", "Unknown function"),
    ("<function=bash></function>", "missing required parameter(s): command"),
    ("<function=bash><parameter=command>a</parameter><parameter=x>1</parameter></function>", "unknown parameter"),
    ("<function=str_replace_editor><parameter=command>view</parameter></function>", "path"),
])
def test_format_errors(reply, message):
    with pytest.raises(FormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_action(reply)


def test_submit_takes_no_command():
    call = parse_action("done\n<function=submit>\n</function>")
    assert call.name == "submit"
    with pytest.raises(ValueError):
        to_command(call)


def test_format_call_roundtrip():
    text = format_call("str_replace_editor", "Fix it.", command="str_replace", path="/testbed/x.py",
                       old_str="if a < b:", new_str="if a <= b:")
    call = parse_action(text)
    assert call.thought == "Fix it."
    assert call.arguments["old_str"] == "if a < b:"
    assert to_command(call).startswith("str_replace_editor str_replace /testbed/x.py")


def test_editor_call_with_unknown_command_is_a_format_error():
    call = parse_action(format_call("str_replace_editor", command="explode", path="/testbed/x"))
    with pytest.raises(FormatError):
        to_command(call)


def test_model_view_keeps_last_five_observations():
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "task", "kind": "instance"}]
    for i in range(8):
        messages.append({"role": "assistant", "content": f"a{i}"})
        messages.append({"role": "user", "content": f"line1\nline2 {i}", "kind": "observation"})
    view, elided = model_view(messages, keep_last=5)
    observations = [i for i, m in enumerate(messages) if m.get("kind") == "observation"]
    assert elided == observations[:3]
    for i in elided:
        assert view[i]["content"] == ELIDED_OBSERVATION.format(n=2)
    for i in observations[3:]:
        assert view[i]["content"] == messages[i]["content"]
    assert [m["content"] for m in view[:2]] == ["s", "task"]
    assert all(set(m) == {"role", "content"} for m in view)
