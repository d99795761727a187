"""A local OpenAI-compatible server (chat completions) that answers with tool calls.

It plays a well-behaved model: create_ticket → get_customer_history →
search_knowledge_base → send_response, reading the ids it needs from the run's input
and from earlier tool results, so the real OpenAI client, the Agents SDK's
chat-completions model and our tools run end to end without the internet.
Knobs let tests make it slow or fail.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.delay_first_seconds = 0.0  # sleep on the very first request (to kill a worker mid-task)
        self.fail_with_status: int | None = None  # answer every request with this HTTP status
        self.reply_text = "You can reset your password from the sign-in page: click Forgot password."
        self.escalate: dict[str, str] | None = None  # {"reason", "urgency"}: escalate instead of answering
        self.answer_then_escalate = False  # with escalate: send the answer first, then escalate
        self.ticket_override: str | None = None  # act on this ticket reference instead of the run's
        self.fail_from_step: int | None = None  # answer HTTP 500 once this many tool results are in
        self.before_step: dict[int, Any] = {}  # step -> callable run before answering that step
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with fake._lock:
                    fake.requests.append(body)
                    first = len(fake.requests) == 1
                if first and fake.delay_first_seconds:
                    time.sleep(fake.delay_first_seconds)
                step = len([m for m in body.get("messages", []) if m.get("role") == "tool"])
                if step in fake.before_step:
                    fake.before_step.pop(step)()
                if fake.fail_with_status or (fake.fail_from_step is not None and step >= fake.fail_from_step):
                    self._send(fake.fail_with_status or 500,
                               {"error": {"message": "fake outage", "type": "server_error"}})
                    return
                self._send(200, fake.completion(body))

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the scripted model -------------------------------------------------------------------

    def completion(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages", [])
        user = next((m.get("content") for m in messages if m.get("role") == "user"), "") or ""
        if isinstance(user, list):
            user = " ".join(p.get("text", "") for p in user if isinstance(p, dict))
        meta = json.loads(user.split("\n", 1)[0].split(": ", 1)[1]) if user.startswith("MESSAGE CONTEXT") else {}
        results: dict[str, dict[str, Any]] = {}
        names = {}
        for m in messages:
            for call in m.get("tool_calls") or []:
                names[call["id"]] = call["function"]["name"]
            if m.get("role") == "tool":
                try:
                    results[names.get(m.get("tool_call_id"), "?")] = json.loads(m.get("content") or "{}")
                except ValueError:
                    results[names.get(m.get("tool_call_id"), "?")] = {}
        step = len([m for m in messages if m.get("role") == "tool"])
        ticket = self.ticket_override or results.get("create_ticket", {}).get("ticket_id", "")
        plan: list[tuple[str, dict[str, Any]]] = [
            ("create_ticket", {"customer_id": meta.get("customer_id"), "issue": "Customer question",
                               "priority": "medium", "channel": meta.get("channel", "web_form")}),
            ("get_customer_history", {"customer_id": meta.get("customer_id")}),
            ("search_knowledge_base", {"query": "reset password", "max_results": 3}),
        ]
        if self.escalate and self.answer_then_escalate:
            plan.append(("send_response", {"ticket_id": ticket, "message": self.reply_text,
                                           "channel": meta.get("channel", "web_form")}))
            plan.append(("escalate_to_human", {"ticket_id": ticket, "reason": self.escalate["reason"],
                                               "urgency": self.escalate.get("urgency", "normal"),
                                               "summary": "The customer needs a person; tried the Help Centre."}))
        elif self.escalate:
            plan.append(("escalate_to_human", {"ticket_id": ticket, "reason": self.escalate["reason"],
                                               "urgency": self.escalate.get("urgency", "normal"),
                                               "summary": "The customer needs a person; tried the Help Centre."}))
            plan.append(("send_response", {"ticket_id": ticket, "channel": meta.get("channel", "web_form"),
                                           "message": "A person from our support team will follow up soon."}))
        else:
            plan.append(("send_response", {"ticket_id": ticket, "message": self.reply_text,
                                           "channel": meta.get("channel", "web_form")}))
        usage = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
        if step < len(plan):
            name, args = plan[step]
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{step}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}]}
            finish = "tool_calls"
        else:
            message = {"role": "assistant", "content": "Done."}
            finish = "stop"
        return {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "fake"), "choices": [{"index": 0, "message": message,
                                                                  "finish_reason": finish}], "usage": usage}
