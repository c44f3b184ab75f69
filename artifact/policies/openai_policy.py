"""OpenAIPolicy: a policy served by any OpenAI-compatible chat endpoint (vLLM for students; a
LiteLLM proxy in front of Claude, or vLLM, for experts), through the official `openai` SDK.

The SDK's own retries are off (max_retries=0): we retry here so every attempt is logged and the
backoff is testable (injected `sleep` and `rng`). Transient failures (429, 5xx, timeouts, connection
errors, malformed bodies) are retried with exponential backoff and jitter; a request the server
rejects (other 4xx) fails at once. What finally escapes `act` is a one-line `PolicyError`, which
ends only that rollout, or `ContextLimitReached` when the prompt no longer fits.

One instance is shared by many rollout threads: it keeps no per-call state, the SDK client (an
HTTP connection pool) is thread-safe, and the jitter generator is locked.
"""

from __future__ import annotations

import json
import logging
import os
import random
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar
from urllib.parse import unquote, urldefrag

import openai

from artifact.policies.base import STUDENT, ContextLimitReached, PolicyError, Reply

log = logging.getLogger(__name__)

T = TypeVar("T")

FUNCTION_OPEN, FUNCTION_CLOSE = "<function=", "</function>"
RETRY_STATUSES = frozenset({408, 409, 429})  # and every 5xx
# How servers word "the prompt is too long" (vLLM, OpenAI, LiteLLM/Anthropic); compared lowercased.
CONTEXT_MARKERS = ("context length", "context_length", "maximum model length", "prompt is too long",
                   "contextwindowexceeded", "context window")
MAX_REASON_CHARS = 300


class _Transient(Exception):
    """One failed attempt worth retrying. `reason` is one line; `unreachable` when no HTTP answer
    came back at all; `retry_after` is the server's Retry-After in seconds, if any."""

    def __init__(self, reason: str, unreachable: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.unreachable, self.retry_after = reason, unreachable, retry_after


class OpenAIPolicy:
    def __init__(self, base_url: str, model: str, api_key: str | None = None,
                 temperature: float = 0.0, top_p: float = 1.0, max_tokens: int = 1024,
                 seed: int | None = None, timeout: float = 120.0, max_retries: int = 6,
                 backoff: float = 1.0, backoff_max: float = 60.0,
                 stop: Sequence[str] | None = (FUNCTION_CLOSE,), author: str = STUDENT,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None):
        self.base_url = base_url.rstrip("/")
        self.model = self.name = model
        self.temperature, self.top_p = temperature, top_p
        self.max_tokens, self.seed = max_tokens, seed
        self.timeout, self.max_retries = timeout, max_retries
        self.backoff, self.backoff_max = backoff, backoff_max
        self.stop = list(stop) if stop else None
        self.author = author
        self.sleep = sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        env = os.environ
        key = api_key or env.get("OEC_API_KEY") or env.get("OPENAI_API_KEY") or "EMPTY"
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key, timeout=timeout,
                                     max_retries=0,
                                     http_client=openai.DefaultHttpxClient(verify=_tls_context()))

    @classmethod
    def from_url(cls, url: str, **kw) -> OpenAIPolicy:
        """A policy from "http://host:port/v1#model-name"; without "#model" (and no model=
        keyword) the first model the endpoint lists at GET /v1/models is used."""
        base, fragment = urldefrag(url)
        model = unquote(fragment) or kw.pop("model", "")
        kw.pop("model", None)
        policy = cls(base, model, **kw)
        if not model:
            served = policy.served_models()
            if not served:
                raise PolicyError(f"endpoint {policy.base_url} serves no models")
            policy.model = policy.name = served[0]
        return policy

    def __repr__(self) -> str:
        return f"OpenAIPolicy({self.base_url!r}, {self.model!r}, author={self.author!r})"

    # -- the Policy protocol ------------------------------------------------------------------

    def act(self, messages: list[dict]) -> Reply:
        started = time.monotonic()
        reply = self._retrying(lambda: self._chat_once(messages))
        reply.seconds = time.monotonic() - started  # wall time of the step, retries included
        return reply

    def served_models(self) -> list[str]:
        """Model ids listed by GET {base_url}/models (retried like a chat request)."""
        def once() -> list[str]:
            models = self._client.models
            body = _parse_json(self._request(lambda: models.with_raw_response.list().text))
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise _Transient("malformed /models response: no data list")
            return [str(m["id"]) for m in data if isinstance(m, dict) and m.get("id")]
        return self._retrying(once)

    # -- one attempt --------------------------------------------------------------------------

    def _params(self, messages: list[dict]) -> dict:
        params: dict = {
            "model": self.model,
            # Trajectory messages carry bookkeeping keys (kind, author, ...) servers may reject.
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.top_p != 1.0:  # recent Claude models reject temperature and top_p together
            params["top_p"] = self.top_p
        if self.seed is not None:  # not every backend accepts a seed; send it only when asked
            params["seed"] = self.seed
        if self.stop:
            params["stop"] = self.stop
        return params

    def _chat_once(self, messages: list[dict]) -> Reply:
        params = self._params(messages)
        body = _parse_json(self._request(
            lambda: self._client.chat.completions.with_raw_response.create(**params).text))
        choices = body.get("choices") if isinstance(body, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise _Transient("malformed response: no choices")
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(message, dict) or not isinstance(content, (str, type(None))):
            raise _Transient("malformed response: choice without a text message")
        text = self._close_call(content or "", choices[0].get("finish_reason"))
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        model = body.get("model") if isinstance(body.get("model"), str) else self.model
        return Reply(text, self.author, model or self.model,
                     prompt_tokens=_count(usage.get("prompt_tokens")),
                     completion_tokens=_count(usage.get("completion_tokens")))

    def _close_call(self, text: str, finish_reason: object) -> str:
        # Servers drop the matched stop string; put back the `</function>` that ended the call.
        if (finish_reason == "stop" and self.stop and FUNCTION_CLOSE in self.stop
                and text.rfind(FUNCTION_OPEN) > text.rfind(FUNCTION_CLOSE)):
            return text + FUNCTION_CLOSE
        return text

    def _request(self, call: Callable[[], T]) -> T:
        """Run one SDK call, turning its exceptions into _Transient / PolicyError / ContextLimit."""
        try:
            return call()
        except openai.APITimeoutError:
            raise _Transient(f"no answer within {self.timeout:g} s") from None
        except openai.APIConnectionError as exc:
            raise _Transient(_root_cause(exc), unreachable=True) from None
        except openai.APIStatusError as exc:
            status, message = exc.status_code, _server_message(exc)
            if status in RETRY_STATUSES or status >= 500:
                wait = _retry_after(exc.response.headers.get("retry-after"))
                raise _Transient(f"HTTP {status}: {message}", retry_after=wait) from None
            said = f"{message} {getattr(exc, 'code', None) or ''}".lower()
            if any(marker in said for marker in CONTEXT_MARKERS):
                raise ContextLimitReached(f"HTTP {status}: {message}") from None
            raise PolicyError(f"endpoint {self.base_url} rejected the request "
                              f"(HTTP {status}): {message}") from None
        except openai.OpenAIError as exc:  # anything else from the SDK: not worth repeating
            raise PolicyError(f"endpoint {self.base_url}: {_one_line(str(exc))}") from None

    # -- retrying -----------------------------------------------------------------------------

    def _retrying(self, attempt: Callable[[], T]) -> T:
        last: _Transient | None = None
        for n in range(self.max_retries + 1):
            try:
                return attempt()
            except _Transient as exc:
                last = exc
                if n == self.max_retries:
                    break
                delay = self._delay(n, exc.retry_after)
                log.warning("%s: attempt %d/%d failed (%s); retrying in %.2f s", self.base_url,
                            n + 1, self.max_retries + 1, exc.reason, delay)
                self.sleep(delay)
        assert last is not None
        state = "unreachable" if last.unreachable else "failing"
        raise PolicyError(f"endpoint {self.base_url} {state} after {self.max_retries} retries: "
                          f"{last.reason}")

    def _delay(self, retry: int, retry_after: float | None) -> float:
        """Exponential backoff with "equal jitter": between half and all of backoff * 2**retry,
        capped at backoff_max, so rollouts hitting one outage together do not retry in lockstep."""
        step = min(self.backoff_max, self.backoff * 2 ** retry)
        with self._rng_lock:
            jitter = self._rng.random()
        delay = step * (0.5 + 0.5 * jitter)
        if retry_after is not None:  # honour the server's Retry-After, within our own cap
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay


# `from_url(url, **kw)` and `OpenAIPolicy.from_url(url, **kw)` are the same helper.
from_url = OpenAIPolicy.from_url


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~0.1 s per client; one verifying context serves every policy.
    return ssl.create_default_context()


def _parse_json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        raise _Transient(f"malformed response: not JSON: {_one_line(text)[:80]!r}") from None


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else body
    return _one_line(str(message or exc.message or f"HTTP {exc.status_code}"))


def _root_cause(exc: BaseException) -> str:
    """The innermost cause, e.g. "Connection refused" rather than the SDK's "Connection error."."""
    seen: set[int] = set()
    deepest = exc
    while id(deepest) not in seen:
        seen.add(id(deepest))
        inner = deepest.__cause__ or deepest.__context__
        if inner is None:
            break
        deepest = inner
    if isinstance(deepest, OSError) and deepest.strerror:
        return deepest.strerror
    return _one_line(str(deepest) or type(deepest).__name__)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: rare from model servers, and our backoff covers it


def _count(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0  # odd usage numbers must not crash a rollout whose reply is fine


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS - 3] + "..."
