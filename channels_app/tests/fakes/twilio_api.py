"""A fake of Twilio's Messages API (``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``)."""
from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any

from channels_app.tests.fakes.server import FakeHTTPServer, FakeRequest, FakeResponse, ServedFake


@dataclass
class SentMessage:
    sid: str
    to: str
    from_: str
    body: str
    content_sid: str
    content_variables: str
    status_callback: str


@dataclass
class FakeTwilio(ServedFake):
    account_sid: str
    auth_token: str
    sent: list[SentMessage] = field(default_factory=list)
    # Scripted outcomes, consumed one per create call: None succeeds, (HTTP status, Twilio
    # code, message) fails. When the script runs out, every call succeeds.
    failures: list[tuple[int, int, str] | None] = field(default_factory=list)
    initial_status: str = "queued"
    _counter: Any = field(default_factory=lambda: itertools.count(1))
    server: FakeHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server
        return self.server.url

    def handle(self, request: FakeRequest) -> FakeResponse:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return FakeResponse(401, {"code": 20003, "message": "Authenticate", "status": 401})
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if request.method != "POST" or request.path != path:
            return FakeResponse(404, {"code": 20404, "message": "Not found", "status": 404})
        scripted = self.failures.pop(0) if self.failures else None
        if scripted:
            status, code, message = scripted
            return FakeResponse(status, {"code": code, "message": message, "status": status,
                                         "more_info": f"https://www.twilio.com/docs/errors/{code}"})
        form = {k: v[0] for k, v in request.form().items()}
        if not form.get("To") or not form.get("From") or not (form.get("Body") or form.get("ContentSid")):
            return FakeResponse(400, {"code": 21602, "message": "Message body is required.", "status": 400})
        sid = f"SM{next(self._counter):032x}"
        self.sent.append(SentMessage(sid=sid, to=form["To"], from_=form["From"], body=form.get("Body", ""),
                                     content_sid=form.get("ContentSid", ""),
                                     content_variables=form.get("ContentVariables", ""),
                                     status_callback=form.get("StatusCallback", "")))
        return FakeResponse(201, {
            "sid": sid, "account_sid": self.account_sid, "to": form["To"], "from": form["From"],
            "body": form.get("Body", ""), "status": self.initial_status, "num_segments": "1",
            "direction": "outbound-api", "api_version": "2010-04-01", "error_code": None, "error_message": None,
            "date_created": "Thu, 27 Nov 2025 16:00:00 +0000", "uri": f"{path[:-5]}/{sid}.json",
        })
