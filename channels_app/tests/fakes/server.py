"""A tiny threaded HTTP server for fakes: route (method, path) to a Python callable."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)


@dataclass
class FakeResponse:
    status: int = 200
    body: Any = None  # dict → JSON; bytes → as is
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[FakeRequest], FakeResponse]


class FakeHTTPServer:
    """Serve ``handle(request) -> FakeResponse`` on 127.0.0.1:<free port>; records every request."""

    def __init__(self, handle: Handler) -> None:
        self.handle = handle
        self.requests: list[FakeRequest] = []
        outer = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = FakeRequest(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                                      {k.lower(): v for k, v in self.headers.items()}, body)
                outer.requests.append(request)
                try:
                    response = outer.handle(request)
                except Exception as exc:  # a bug in a fake shows up as a 599, not a hang
                    response = FakeResponse(599, {"error": f"fake crashed: {exc!r}"})
                payload = response.body
                if isinstance(payload, (dict, list)):
                    data = json.dumps(payload).encode()
                    content_type = "application/json"
                else:
                    data = payload or b""
                    content_type = "application/octet-stream"
                self.send_response(response.status)
                self.send_header("Content-Type", response.headers.pop("Content-Type", content_type))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class ServedFake:
    """A fake provider served over HTTP on loopback: subclasses implement ``handle``."""

    server: FakeHTTPServer | None = None

    def handle(self, request: FakeRequest) -> FakeResponse:
        raise NotImplementedError

    def start(self):  # type: ignore[no-untyped-def]
        self.server = FakeHTTPServer(self.handle).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()
