"""A fake of the Gmail API v1 endpoints we use, with an in-memory mailbox.

``users.getProfile``, ``users.history.list`` (``messageAdded``), ``users.messages.list``,
``users.messages.get`` (``format=raw``), ``users.messages.send``, ``users.watch``,
``users.stop``. History ids grow with every message; ``expire_history_before`` makes
older start ids answer 404 as Gmail does.
"""
from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from channels_app.tests.fakes.server import FakeHTTPServer, FakeRequest, FakeResponse, ServedFake


@dataclass
class StoredMail:
    id: str
    thread_id: str
    labels: list[str]
    raw: bytes
    history_id: int


@dataclass
class FakeGmail(ServedFake):
    address: str
    mails: dict[str, StoredMail] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    watches: list[dict[str, Any]] = field(default_factory=list)
    expire_history_before: int = 0
    # Scripted failures: {"send": [(status, reason)], "history": [...], "get": [...]}
    failures: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    _history: Any = field(default_factory=lambda: itertools.count(1000))
    history_id: int = 1000
    server: FakeHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server
        return self.server.url + "/"

    def deliver(self, raw: bytes, *, thread_id: str = "", labels: list[str] | None = None) -> StoredMail:
        """A mail arrives in the mailbox (what Gmail does before it notifies Pub/Sub)."""
        self.history_id = next(self._history) + 1
        gmail_id = secrets.token_hex(8)
        mail = StoredMail(gmail_id, thread_id or gmail_id, labels or ["INBOX", "UNREAD"], raw, self.history_id)
        self.mails[gmail_id] = mail
        return mail

    def _fail(self, name: str) -> FakeResponse | None:
        queue = self.failures.get(name) or []
        if not queue:
            return None
        status, reason = queue.pop(0)
        return FakeResponse(status, {"error": {"code": status, "message": reason,
                                               "errors": [{"reason": reason, "message": reason}]}})

    def handle(self, request: FakeRequest) -> FakeResponse:
        prefix = "/gmail/v1/users/me"
        if not request.path.startswith(prefix):
            return FakeResponse(404, {"error": {"code": 404, "message": "no such API"}})
        rest = request.path[len(prefix):]
        one = lambda name, default="": (request.query.get(name) or [default])[0]  # noqa: E731
        if request.method == "GET" and rest == "/profile":
            return FakeResponse(200, {"emailAddress": self.address, "historyId": str(self.history_id)})
        if request.method == "GET" and rest == "/history":
            failure = self._fail("history")
            if failure:
                return failure
            start = int(one("startHistoryId", "0"))
            if start < self.expire_history_before:
                return FakeResponse(404, {"error": {"code": 404, "message": "Requested entity was not found.",
                                                    "errors": [{"reason": "notFound"}]}})
            label = one("labelId")
            added = [m for m in sorted(self.mails.values(), key=lambda m: m.history_id)
                     if m.history_id > start and (not label or label in m.labels)]
            page_size = int(one("maxResults", "100"))
            offset = int(one("pageToken", "0") or 0)
            page = added[offset:offset + page_size]
            body: dict[str, Any] = {"historyId": str(self.history_id)}
            if page:
                body["history"] = [{"id": str(m.history_id), "messagesAdded": [
                    {"message": {"id": m.id, "threadId": m.thread_id, "labelIds": m.labels}}]} for m in page]
            if offset + page_size < len(added):
                body["nextPageToken"] = str(offset + page_size)
            return FakeResponse(200, body)
        if request.method == "GET" and rest == "/messages":
            labels = request.query.get("labelIds") or []
            found = [m for m in sorted(self.mails.values(), key=lambda m: -m.history_id)
                     if all(label in m.labels for label in labels)][: int(one("maxResults", "100"))]
            return FakeResponse(200, {"messages": [{"id": m.id, "threadId": m.thread_id} for m in found],
                                      "resultSizeEstimate": len(found)})
        if request.method == "GET" and rest.startswith("/messages/"):
            failure = self._fail("get")
            if failure:
                return failure
            mail = self.mails.get(rest[len("/messages/"):])
            if mail is None:
                return FakeResponse(404, {"error": {"code": 404, "message": "Requested entity was not found."}})
            return FakeResponse(200, {
                "id": mail.id, "threadId": mail.thread_id, "labelIds": mail.labels,
                "historyId": str(mail.history_id), "internalDate": str(int(time.time() * 1000)),
                "sizeEstimate": len(mail.raw), "raw": base64.urlsafe_b64encode(mail.raw).decode()})
        if request.method == "POST" and rest == "/messages/send":
            failure = self._fail("send")
            if failure:
                return failure
            body = request.json()
            raw = base64.urlsafe_b64decode(body["raw"] + "==")
            sent = self.deliver(raw, thread_id=body.get("threadId") or "", labels=["SENT"])
            self.sent.append({"id": sent.id, "threadId": sent.thread_id, "raw": raw, "request": body})
            return FakeResponse(200, {"id": sent.id, "threadId": sent.thread_id, "labelIds": ["SENT"]})
        if request.method == "POST" and rest == "/watch":
            self.watches.append(request.json())
            expiration = int((time.time() + 7 * 86400) * 1000)
            return FakeResponse(200, {"historyId": str(self.history_id), "expiration": str(expiration)})
        if request.method == "POST" and rest == "/stop":
            return FakeResponse(204, b"")
        return FakeResponse(404, {"error": {"code": 404, "message": f"{request.method} {rest} not faked"}})
