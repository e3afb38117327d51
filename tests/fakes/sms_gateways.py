"""Local stand-ins for the SMS gateways' outbound APIs, on 127.0.0.1 only.

One threaded HTTP server answers Africa's Talking's messaging endpoint
(POST /version1/messaging), Vonage's SMS endpoint (POST /sms/json) and Twilio's Messages API
(POST /2010-04-01/Accounts/{sid}/Messages.json, basic auth) the way the real ones do, records every message it accepted, and can be told to fail the next N calls with a 5xx
or to hang past the client's timeout, so the retry and back-off paths run for real.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

AT_PATH = "/version1/messaging"
VONAGE_PATH = "/sms/json"
TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")


@dataclass
class Sent:
    gateway: str  # africastalking | vonage | twilio
    form: dict[str, str]
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.form.get("message") or self.form.get("text") or self.form.get("Body") or ""

    @property
    def to(self) -> str:
        return self.form.get("to") or self.form.get("To") or ""


class FakeGateways:
    """Start with `with FakeGateways() as fake:`; point the settings' API URLs at fake.at_url
    and fake.vonage_url."""

    def __init__(self, twilio_token: str = "twilio-auth-token-" + "a" * 14) -> None:
        self.sent: list[Sent] = []
        self.twilio_token = twilio_token
        self.calls = 0
        self._fail: list[tuple[str, float]] = []  # ("status", code) or ("hang", seconds)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                return None

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                with fake._lock:
                    fake.calls += 1
                    action = fake._fail.pop(0) if fake._fail else None
                if action and action[0] == "hang":
                    time.sleep(action[1])
                    self._reply(504, {"error": "hung"})
                    return
                if action and action[0] == "status":
                    self._reply(int(action[1]), {"error": "failure"})
                    return
                form = dict(parse_qsl(body, keep_blank_values=True))
                if self.path == AT_PATH:
                    with fake._lock:
                        fake.sent.append(Sent("africastalking", form, dict(self.headers)))
                    self._reply(201, {"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": [
                        {"statusCode": 101, "number": form.get("to", ""), "status": "Success",
                         "cost": "KES 0.8000", "messageId": f"ATXid_{fake.calls}"}]}})
                elif self.path == VONAGE_PATH:
                    with fake._lock:
                        fake.sent.append(Sent("vonage", form, dict(self.headers)))
                    self._reply(200, {"message-count": "1", "messages": [
                        {"to": form.get("to", ""), "message-id": f"v{fake.calls}", "status": "0"}]})
                elif (match := TWILIO_PATH.match(self.path)):
                    sid = match.group(1)
                    expected = "Basic " + base64.b64encode(f"{sid}:{fake.twilio_token}".encode()).decode()
                    if self.headers.get("authorization") != expected:
                        self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                        return
                    if not form.get("To") or not form.get("Body") or not (form.get("From") or form.get("MessagingServiceSid")):
                        self._reply(400, {"code": 21604, "message": "A required parameter is missing", "status": 400})
                        return
                    with fake._lock:
                        fake.sent.append(Sent("twilio", form, dict(self.headers)))
                    self._reply(201, {"sid": f"SM{fake.calls:032x}", "status": "queued", "to": form["To"],
                                      "body": form["Body"], "account_sid": sid})
                else:
                    self._reply(404, {"error": "not found"})

            def _reply(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout): nothing to answer
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def at_url(self) -> str:
        return self.base_url + AT_PATH

    @property
    def vonage_url(self) -> str:
        return self.base_url + VONAGE_PATH

    def fail_next(self, n: int, status: int = 500) -> None:
        with self._lock:
            self._fail += [("status", status)] * n

    def hang_next(self, n: int, seconds: float = 1.0) -> None:
        with self._lock:
            self._fail += [("hang", seconds)] * n

    def texts(self, gateway: str | None = None) -> list[str]:
        return [s.text for s in self.sent if gateway in (None, s.gateway)]

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    def start(self) -> "FakeGateways":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeGateways":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
