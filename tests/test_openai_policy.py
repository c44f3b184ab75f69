"""OpenAIPolicy against a real HTTP server on 127.0.0.1 whose answers each test scripts. Backoff
sleeps are recorded, never slept, so the whole file runs in a few seconds."""

import json
import random
import socket
import threading

import pytest
from fake_openai_server import (
    FakeOpenAIServer,
    Response,
    completion,
    error,
    hang,
    malformed,
    no_choices,
)

from artifact.agent.actions import format_call, parse_action
from artifact.agent.loop import AgentConfig, run_agent
from artifact.agent.trajectory import Trajectory
from artifact.policies.base import ContextLimitReached, PolicyError
from artifact.policies.openai_policy import OpenAIPolicy, from_url
from artifact.runtime.instant import InstantSession
from artifact.tasks.schema import Task

MESSAGES = [{"role": "system", "content": "be brief", "kind": "system"},
            {"role": "user", "content": "hello", "kind": "instance"}]
TASK = Task("t1", "r", "c", "", "", ["tests/test_a.py::test_x"], [], "Something is broken.", "1",
            repo_path="x")
LS = format_call("bash", "look", command="ls")
SUBMIT = format_call("submit", "done")


def unclosed(reply: str) -> str:
    """The reply as a server returns it when generation stopped at the `</function>` stop string."""
    assert reply.endswith("</function>")
    return reply[: -len("</function>")]


@pytest.fixture
def server():
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_key_env(monkeypatch):
    monkeypatch.delenv("OEC_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def make(url: str, sleeps: list[float], **kw) -> OpenAIPolicy:
    options = {"timeout": 0.3, "max_retries": 3, "sleep": sleeps.append, "rng": random.Random(0)}
    return OpenAIPolicy(url, "fake-model", **{**options, **kw})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nobody listens here once the socket is closed


# -- normal replies -------------------------------------------------------------------------------


def test_reply_text_usage_and_request(server):
    server.push(completion("hi there", prompt_tokens=12, completion_tokens=5))
    sleeps: list[float] = []
    reply = make(server.url, sleeps, author="expert", seed=7, max_tokens=64).act(MESSAGES)
    assert (reply.text, reply.author, reply.model) == ("hi there", "expert", "fake-model")
    assert (reply.prompt_tokens, reply.completion_tokens) == (12, 5)
    assert reply.seconds > 0 and sleeps == []
    (seen,) = server.chat_requests
    assert seen.path == "/v1/chat/completions"
    assert seen.body["messages"] == [{"role": "system", "content": "be brief"},
                                     {"role": "user", "content": "hello"}]
    assert seen.body["model"] == "fake-model" and seen.body["max_tokens"] == 64
    assert seen.body["temperature"] == 0.0 and seen.body["seed"] == 7
    assert seen.body["stop"] == ["</function>"]
    assert "top_p" not in seen.body  # default 1.0 is not sent
    assert seen.headers["authorization"] == "Bearer EMPTY"


def test_api_key_prefers_oec_then_openai_env(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key")
    make(server.url, []).act(MESSAGES)
    monkeypatch.setenv("OEC_API_KEY", "oec-key")
    make(server.url, []).act(MESSAGES)
    make(server.url, [], api_key="explicit").act(MESSAGES)
    keys = [r.headers["authorization"] for r in server.chat_requests]
    assert keys == ["Bearer openai-key", "Bearer oec-key", "Bearer explicit"]


def test_missing_usage_counts_zero_tokens(server):
    body = completion("x").body
    del body["usage"]
    server.push(Response(200, body))
    reply = make(server.url, []).act(MESSAGES)
    assert (reply.text, reply.prompt_tokens, reply.completion_tokens) == ("x", 0, 0)


def test_stop_string_is_put_back_on_an_unclosed_call(server):
    server.push(completion(unclosed(LS)))
    reply = make(server.url, []).act(MESSAGES)
    assert reply.text == LS
    assert parse_action(reply.text).arguments == {"command": "ls"}


@pytest.mark.parametrize("text,finish_reason,stop", [
    (LS, "stop", ("</function>",)),  # already closed
    (unclosed(LS), "length", ("</function>",)),  # cut by max_tokens: really unfinished
    ("no call at all", "stop", ("</function>",)),
    (unclosed(LS), "stop", None),  # we did not ask to stop there
])
def test_stop_string_is_not_added_otherwise(server, text, finish_reason, stop):
    server.push(completion(text, finish_reason=finish_reason))
    assert make(server.url, [], stop=stop).act(MESSAGES).text == text


# -- retries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [
    error(500, "boom"), error(503, "loading"), error(429, "slow down", "rate_limit_error"),
    hang(), malformed(), no_choices(), Response(200, "<html>gateway</html>"),
], ids=["500", "503", "429", "timeout", "bad-json", "no-choices", "html"])
def test_transient_failures_are_retried_then_succeed(server, failure):
    server.push(failure, failure, completion("finally"))
    sleeps: list[float] = []
    reply = make(server.url, sleeps, backoff=1.0).act(MESSAGES)
    assert reply.text == "finally"
    assert len(server.chat_requests) == 3
    assert len(sleeps) == 2
    for retry, delay in enumerate(sleeps):  # equal jitter: within [half, all] of 1 * 2**retry
        assert 2 ** retry / 2 <= delay <= 2 ** retry


def test_gives_up_after_max_retries_with_one_line(server):
    server.default = lambda request: error(500, "model crashed\nTraceback: ...")
    sleeps: list[float] = []
    with pytest.raises(PolicyError) as caught:
        make(server.url, sleeps, max_retries=4).act(MESSAGES)
    message = str(caught.value)
    assert message == (f"endpoint {server.url} failing after 4 retries: "
                       "HTTP 500: model crashed Traceback: ...")
    assert "\n" not in message
    assert len(server.chat_requests) == 5 and len(sleeps) == 4


def test_backoff_grows_is_capped_and_is_deterministic_with_a_seed(server):
    server.default = lambda request: error(502, "bad gateway")
    runs = []
    for _ in range(2):
        sleeps: list[float] = []
        with pytest.raises(PolicyError):
            make(server.url, sleeps, max_retries=6, backoff=0.5, backoff_max=4.0,
                 rng=random.Random(42)).act(MESSAGES)
        runs.append(sleeps)
    assert runs[0] == runs[1]
    caps = [min(4.0, 0.5 * 2 ** i) for i in range(6)]
    assert all(cap / 2 <= delay <= cap for cap, delay in zip(caps, runs[0], strict=True))
    assert runs[0][-1] <= 4.0


def test_retry_after_is_honoured_within_the_cap(server):
    server.push(error(429, "slow", headers={"Retry-After": "7"}),
                error(429, "slow", headers={"Retry-After": "999"}), completion("ok"))
    sleeps: list[float] = []
    make(server.url, sleeps, backoff=0.1, backoff_max=30.0).act(MESSAGES)
    assert sleeps == [7.0, 30.0]


def test_timeouts_give_up_with_a_clear_reason(server):
    server.default = lambda request: hang()
    sleeps: list[float] = []
    with pytest.raises(PolicyError, match=r"failing after 1 retries: no answer within 0.3 s$"):
        make(server.url, sleeps, max_retries=1).act(MESSAGES)
    assert len(server.chat_requests) == 2 and len(sleeps) == 1


def test_unreachable_endpoint_fails_only_after_the_retries():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    sleeps: list[float] = []
    with pytest.raises(PolicyError) as caught:
        make(url, sleeps, max_retries=6).act(MESSAGES)
    assert str(caught.value) == f"endpoint {url} unreachable after 6 retries: Connection refused"
    assert len(sleeps) == 6


# -- errors that are not retried ---------------------------------------------------------------


@pytest.mark.parametrize("status,message", [
    (400, "temperature must be non-negative"),
    (401, "Invalid API key"),
    (404, "model foo not found"),
])
def test_client_errors_fail_at_once_with_the_server_message(server, status, message):
    server.push(error(status, message, "invalid_request_error"))
    sleeps: list[float] = []
    with pytest.raises(PolicyError) as caught:
        make(server.url, sleeps).act(MESSAGES)
    expected = f"endpoint {server.url} rejected the request (HTTP {status}): {message}"
    assert str(caught.value) == expected
    assert len(server.chat_requests) == 1 and sleeps == []


@pytest.mark.parametrize("failure", [
    error(400, "This model's maximum context length is 32768 tokens. However, you requested "
               "33000 tokens (32000 in the messages, 1000 in the completion).", "BadRequestError"),
    error(400, "Request too large", "invalid_request_error", code="context_length_exceeded"),
    error(400, "litellm.ContextWindowExceededError: prompt is too long: 210000 tokens > 200000"),
], ids=["vllm", "openai-code", "litellm"])
def test_context_length_errors_raise_context_limit(server, failure):
    server.push(failure)
    sleeps: list[float] = []
    with pytest.raises(ContextLimitReached, match="HTTP 400"):
        make(server.url, sleeps).act(MESSAGES)
    assert len(server.chat_requests) == 1 and sleeps == []


# -- from_url ------------------------------------------------------------------------------------


def test_from_url_takes_the_model_after_the_hash(server):
    policy = from_url(f"{server.url}/#Qwen/Qwen2.5-Coder-7B-Instruct", temperature=0.7, timeout=5)
    assert (policy.base_url, policy.model, policy.temperature) == (
        server.url, "Qwen/Qwen2.5-Coder-7B-Instruct", 0.7)
    assert server.requests == []  # no discovery needed
    policy.act(MESSAGES)
    assert server.chat_requests[0].body["model"] == "Qwen/Qwen2.5-Coder-7B-Instruct"


def test_from_url_without_a_model_asks_the_endpoint(server):
    server.models = ["served-a", "served-b"]
    policy = OpenAIPolicy.from_url(server.url, timeout=5)  # the same helper, as a classmethod
    assert policy.model == policy.name == "served-a"
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/v1/models")]


def test_from_url_discovery_on_a_dead_endpoint_is_a_policy_error():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(PolicyError, match="unreachable after 2 retries: Connection refused"):
        from_url(url, max_retries=2, sleep=lambda s: None)


# -- sharing and the agent loop -----------------------------------------------------------------


def test_one_instance_serves_many_threads(server):
    server.default = lambda request: completion(request["messages"][-1]["content"].upper(),
                                                delay=0.05)
    policy = make(server.url, [])
    answers: dict[int, str] = {}

    def worker(i: int) -> None:
        answers[i] = policy.act([{"role": "user", "content": f"q{i}"}]).text

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert answers == {i: f"Q{i}" for i in range(16)}


def run_rollout(policy, tmp_path):
    record, session = Trajectory("t1", "test", 0), InstantSession()
    path = tmp_path / "traj.json"
    run_agent(TASK, session, policy, record, AgentConfig(), save_to=path)
    return record, session, json.loads(path.read_text())


def test_agent_loop_survives_a_500_and_submits(server, tmp_path):
    server.push(completion(unclosed(LS)), error(500, "oops"),
                completion(unclosed(format_call("bash", "again", command="pwd"))),
                completion(unclosed(SUBMIT)))
    sleeps: list[float] = []
    record, session, saved = run_rollout(make(server.url, sleeps), tmp_path)
    assert record.exit_status == saved["exit_status"] == "submitted"
    assert session.commands == ["ls", "pwd"]
    assert len(server.chat_requests) == 4 and len(sleeps) == 1
    assert [m["author"] for m in record.assistant_messages()] == ["student"] * 3
    assert record.assistant_messages()[0]["prompt_tokens"] == 11
    # The second request carries the first exchange: the observation of `ls` reached the model.
    assert "ran ls" in server.chat_requests[1].body["messages"][-1]["content"]


def test_agent_loop_on_a_dead_endpoint_ends_as_runtime_error(server, tmp_path):
    server.default = lambda request: error(500, "down")
    record, session, saved = run_rollout(make(server.url, [], max_retries=2), tmp_path)
    assert record.exit_status == saved["exit_status"] == "runtime_error"
    assert saved["error"] == f"endpoint {server.url} failing after 2 retries: HTTP 500: down"
    assert session.commands == [] and record.assistant_messages() == []


def test_generate_with_unreachable_endpoint_fails_in_one_line_after_retries(tmp_path, monkeypatch):
    """`oec generate --student URL` checks the endpoint before any rollout (retries, then one line)."""
    import json as _json
    import socket

    from click.testing import CliRunner

    from artifact.cli.main import cli
    from artifact.policies import openai_policy

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = []
    original = openai_policy.OpenAIPolicy.__init__

    def fast_init(self, *args, **kwargs):
        kwargs.update(sleep=sleeps.append, max_retries=3)
        original(self, *args, **kwargs)

    monkeypatch.setattr(openai_policy.OpenAIPolicy, "__init__", fast_init)
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(_json.dumps({
        "instance_id": "a", "repo": "r", "base_commit": "c", "patch": "", "test_patch": "",
        "FAIL_TO_PASS": ["t::x"], "PASS_TO_PASS": [], "problem_statement": "p", "version": "1",
        "repo_path": "repo.git"}) + "\n")
    result = CliRunner().invoke(cli, ["generate", "--tasks", str(tasks), "--strategy", "on-policy", "--student",
                                      f"http://127.0.0.1:{port}/v1#m", "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unreachable after 3 retries" in lines[0], result.stderr
    assert len(sleeps) == 3
