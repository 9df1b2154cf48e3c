"""A local HTTP server that answers like Twilio's REST API, so the real ``twilio`` client runs."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class RecordedRequest:
    method: str
    path: str
    form: dict[str, list[str]]
    authorization: str | None


@dataclass
class TwilioStandIn:
    """What the API received (``requests``), and what it answers next (``fail_with``)."""

    base_url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    failure: tuple[int, dict] | None = None

    def fail_with(self, status: int, payload: dict) -> None:
        self.failure = (status, payload)

    def answer(self, path: str, form: dict[str, list[str]]) -> tuple[int, dict]:
        if self.failure is not None:
            return self.failure
        one = {key: values[0] for key, values in form.items()}
        account = path.split("/")[3] if path.count("/") >= 4 else None
        if path.endswith("/Messages.json"):
            return 201, {"sid": "SM" + secrets.token_hex(16), "account_sid": account, "status": "queued",
                         "to": one.get("To"), "from": one.get("From"), "body": one.get("Body"),
                         "messaging_service_sid": one.get("MessagingServiceSid"), "direction": "outbound-api"}
        if path.endswith("/Calls.json"):
            return 201, {"sid": "CA" + secrets.token_hex(16), "account_sid": account, "status": "queued",
                         "to": one.get("To"), "from": one.get("From"), "direction": "outbound-api"}
        return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        form = parse_qs(body, keep_blank_values=True)
        stand_in = self.server.stand_in
        stand_in.requests.append(RecordedRequest(self.command, self.path, form, self.headers.get("Authorization")))
        status, payload = stand_in.answer(self.path, form)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _handle

    def log_message(self, format, *args):  # keep the test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stand_in: TwilioStandIn


def start() -> tuple[TwilioStandIn, _Server, threading.Thread]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.timeout = 5
    server.stand_in = TwilioStandIn(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server.stand_in, server, thread


def stop(server: _Server, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
