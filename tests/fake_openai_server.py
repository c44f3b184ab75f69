"""A real OpenAI-compatible HTTP server on 127.0.0.1 whose answers are scripted, for the policy
tests and the throughput bench. Each POST /v1/chat/completions takes the next scripted `Response`;
when the script is empty, a `default` responder decides from the request. GET /v1/models lists
`models`.

    with FakeOpenAIServer([completion("hi"), error(500, "boom")]) as server:
        OpenAIPolicy(server.url, "fake-model").act(...)
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

HANG_LIMIT = 10.0  # seconds a "hanging" answer waits at most: a forgotten server cannot wedge a run


@dataclass
class Response:
    status: int = 200
    body: str | dict = ""  # a dict is sent as JSON; a str is sent as is (for malformed bodies)
    delay: float = 0.0  # seconds to wait before answering
    hang: bool = False  # do not answer until the server stops: the client has to time out
    headers: dict[str, str] = field(default_factory=dict)


def completion(text: str, finish_reason: str = "stop", prompt_tokens: int = 11,
               completion_tokens: int = 7, model: str = "fake-model",
               delay: float = 0.0) -> Response:
    return Response(200, {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }, delay=delay)


def error(status: int, message: str, type_: str = "server_error", code: str | None = None,
          headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return Response(status, body, headers=headers or {})


def malformed() -> Response:
    truncated = '{"id": "chatcmpl-fake", "choices": ['
    return Response(200, truncated, headers={"Content-Type": "application/json"})


def no_choices() -> Response:
    return Response(200, {"id": "chatcmpl-fake", "object": "chat.completion", "model": "fake-model",
                          "usage": {"prompt_tokens": 1, "completion_tokens": 0}})


def hang() -> Response:
    return Response(hang=True)


Responder = Callable[[dict], Response]


@dataclass
class Seen:
    """One request as the server received it."""
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None


class FakeOpenAIServer:
    def __init__(self, script: Iterable[Response] = (), default: Responder | None = None,
                 models: Iterable[str] = ("fake-model",)):
        self.script: deque[Response] = deque(script)
        self.default = default or (lambda request: completion("ok"))
        self.models = list(models)
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.01}, name="fake-openai",
                                        daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def push(self, *responses: Response) -> None:
        with self._lock:
            self.script.extend(responses)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hanging and delayed answers first
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self, request: dict) -> Response:
        with self._lock:
            if self.script:
                return self.script.popleft()
        return self.default(request)

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hanging handler must not block server_close
    request_queue_size = 128  # many workers connect at once; the default backlog of 5 drops SYNs

    def handle_error(self, request, client_address) -> None:
        pass  # clients that time out close their end; a broken pipe here is expected


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like vLLM behind uvicorn
        # Headers and body go out in two writes; with Nagle on, the client's delayed ACK would add
        # ~40 ms to every answer.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            server._record(Seen("GET", self.path, _lower(self.headers), None))
            if self.path.rstrip("/").endswith("/models"):
                data = [{"id": m, "object": "model", "owned_by": "fake"} for m in server.models]
                self._send(Response(200, {"object": "list", "data": data}))
            else:
                self._send(error(404, f"no route {self.path}", "not_found"))

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            server._record(Seen("POST", self.path, _lower(self.headers), body))
            if not self.path.rstrip("/").endswith("/chat/completions") or body is None:
                self._send(error(404, f"no route {self.path}", "not_found"))
                return
            response = server._next(body)
            if response.hang:
                server._stopping.wait(HANG_LIMIT)
                self.close_connection = True
                return
            if response.delay:
                server._stopping.wait(response.delay)
            self._send(response)

        def _send(self, response: Response) -> None:
            is_json = isinstance(response.body, dict)
            data = (json.dumps(response.body) if is_json else response.body).encode()
            self.send_response(response.status)
            kind = "application/json" if is_json else "text/plain"
            headers = {"Content-Type": kind, **response.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _lower(headers) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}
