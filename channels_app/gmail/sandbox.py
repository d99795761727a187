"""The sandbox mailbox: a stand-in for the Gmail API when there are no credentials.

``make run`` has no Google account, yet inbound email must go through the same code as
in production: the Pub/Sub push arrives at ``/webhooks/gmail``, the webhook queues the
sync task, and the task asks the Gmail API for ``users.history.list`` and
``users.messages.get``, parses the MIME and stores the message. In sandbox mode the
google-api-python-client ``Resource`` is built with ``SandboxGmailHttp`` as its
transport: the client library builds real requests (URL, query, JSON body) and parses
real responses, and this class answers them from the ``SandboxMailMessage`` table
instead of the network.

``simulate_inbound --channel email`` drops a message into that table (``deposit``) and
then sends a signed push to the webhook over HTTP. Nothing leaves the machine.

Implemented: ``users.getProfile``, ``users.history.list``, ``users.messages.list``,
``users.messages.get`` (``format=raw`` and ``metadata``), ``users.messages.send``
(stored with the SENT label, so it never reaches the inbox sync), ``users.watch`` and
``users.stop``. Every message's primary key is its history id.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httplib2
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from channels_app.models import SandboxMailMessage

_USERS = re.compile(r"^/gmail/v1/users/(?P<user>[^/]+)(?P<rest>/.*)?$")


def deposit(*, raw: bytes, mailbox: str | None = None, thread_id: str = "", labels: list[str] | None = None
            ) -> SandboxMailMessage:
    """Put one message into the sandbox mailbox, as if Gmail had received it."""
    gmail_id = secrets.token_hex(8)
    return SandboxMailMessage.objects.create(
        mailbox=(mailbox or settings.GMAIL_ADDRESS).lower(),
        gmail_id=gmail_id,
        thread_id=thread_id or gmail_id,
        label_ids=labels if labels is not None else ["INBOX", "UNREAD"],
        raw=raw,
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


class SandboxGmailHttp:
    """An ``httplib2.Http`` look-alike that answers Gmail API calls from the database."""

    def __init__(self, mailbox: str | None = None) -> None:
        self.mailbox = (mailbox or settings.GMAIL_ADDRESS).lower()
        self.follow_redirects = True
        self.timeout = None

    # googleapiclient calls http.request(uri, method=..., body=..., headers=...)
    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                redirections: int = 5, connection_type: Any = None) -> tuple[httplib2.Response, bytes]:
        parts = urlsplit(uri)
        query = {k: v for k, v in parse_qs(parts.query).items()}
        match = _USERS.match(parts.path)
        if not match:
            return self._json(404, {"error": {"code": 404, "message": f"No such API: {parts.path}"}})
        rest = match.group("rest") or ""
        payload = json.loads(body) if body else {}
        try:
            status, data = self._route(method.upper(), rest, query, payload)
        except _NotFound as exc:
            status, data = 404, {"error": {"code": 404, "message": str(exc), "status": "NOT_FOUND"}}
        return self._json(status, data)

    def close(self) -> None:  # httplib2.Http API
        pass

    @staticmethod
    def _json(status: int, data: dict[str, Any]) -> tuple[httplib2.Response, bytes]:
        response = httplib2.Response({"status": str(status), "content-type": "application/json; charset=UTF-8"})
        response.reason = "OK" if status < 400 else "Error"
        return response, json.dumps(data).encode()

    def _messages(self):  # type: ignore[no-untyped-def]
        return SandboxMailMessage.objects.filter(mailbox=self.mailbox)

    def _current_history_id(self) -> int:
        return self._messages().aggregate(top=Max("id"))["top"] or 1

    def _route(self, method: str, rest: str, query: dict[str, list[str]], body: dict[str, Any]
               ) -> tuple[int, dict[str, Any]]:
        one = lambda name, default="": (query.get(name) or [default])[0]  # noqa: E731
        if method == "GET" and rest == "/profile":
            return 200, {"emailAddress": self.mailbox, "messagesTotal": self._messages().count(),
                         "historyId": str(self._current_history_id())}
        if method == "GET" and rest == "/history":
            return 200, self._history(start=int(one("startHistoryId", "0") or 0), label=one("labelId"),
                                      page_token=one("pageToken"), max_results=int(one("maxResults", "100")))
        if method == "GET" and rest == "/messages":
            rows = self._messages().order_by("-id")
            labels = query.get("labelIds") or []
            items = [r for r in rows[:500] if all(label in r.label_ids for label in labels)]
            limit = int(one("maxResults", "100"))
            return 200, {"messages": [{"id": r.gmail_id, "threadId": r.thread_id} for r in items[:limit]],
                         "resultSizeEstimate": len(items)}
        if method == "GET" and rest.startswith("/messages/"):
            return 200, self._get(rest[len("/messages/"):], one("format", "full"))
        if method == "POST" and rest == "/messages/send":
            raw = base64.urlsafe_b64decode(body.get("raw", "") + "==")
            sent = deposit(raw=raw, mailbox=self.mailbox, thread_id=body.get("threadId") or "", labels=["SENT"])
            return 200, {"id": sent.gmail_id, "threadId": sent.thread_id, "labelIds": ["SENT"]}
        if method == "POST" and rest == "/watch":
            expiration = timezone.now() + timedelta(days=7)
            return 200, {"historyId": str(self._current_history_id()),
                         "expiration": str(int(expiration.timestamp() * 1000))}
        if method == "POST" and rest == "/stop":
            return 204, {}
        raise _NotFound(f"{method} {rest} is not implemented by the sandbox mailbox")

    def _history(self, *, start: int, label: str, page_token: str, max_results: int) -> dict[str, Any]:
        after = int(page_token) if page_token else start
        rows = list(self._messages().filter(id__gt=after).order_by("id")[: max_results + 1])
        if label:
            matching = [r for r in rows[:max_results] if label in r.label_ids]
        else:
            matching = rows[:max_results]
        data: dict[str, Any] = {"historyId": str(max(self._current_history_id(), start))}
        if matching:
            data["history"] = [
                {"id": str(r.pk), "messages": [{"id": r.gmail_id, "threadId": r.thread_id}],
                 "messagesAdded": [{"message": {"id": r.gmail_id, "threadId": r.thread_id,
                                                "labelIds": r.label_ids}}]}
                for r in matching
            ]
        if len(rows) > max_results:
            data["nextPageToken"] = str(rows[max_results - 1].pk)
        return data

    def _get(self, gmail_id: str, fmt: str) -> dict[str, Any]:
        row = self._messages().filter(gmail_id=gmail_id).first()
        if row is None:
            raise _NotFound(f"Requested entity was not found: message {gmail_id}")
        raw = bytes(row.raw)
        data: dict[str, Any] = {
            "id": row.gmail_id,
            "threadId": row.thread_id,
            "labelIds": row.label_ids,
            "historyId": str(row.pk),
            "internalDate": str(int(row.created_at.timestamp() * 1000)),
            "sizeEstimate": len(raw),
            "snippet": "",
        }
        if fmt == "raw":
            data["raw"] = _b64url(raw)
        return data


class _NotFound(Exception):
    pass
