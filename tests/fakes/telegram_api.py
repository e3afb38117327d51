"""A local stand-in for the Telegram Bot API, on 127.0.0.1 only, for the real client to talk to.

`FakeTelegram` serves `POST /bot<token>/<method>` the way api.telegram.org does (form,
multipart or JSON parameters in, `{"ok": ..., "result": ...}` out) for what the bot uses:
getMe, getUpdates (long polling with offset and timeout), sendMessage, editMessageText,
answerCallbackQuery, setMyCommands, getMyCommands, setWebhook, deleteWebhook,
getWebhookInfo, plus close/logOut/sendChatAction. It records every call, keeps each chat's
messages (so an edit changes the message a test reads next), and lets a test:

* inject updates: queued for getUpdates, or, once a webhook is set, POSTed to it with the
  registered secret, as Telegram does, again and again with growing pauses while the
  webhook fails or cannot be reached (`push`);
* make the next N calls of a method answer 429 with retry_after, or a 5xx (`fail_next`);
* hold the next call of a method (to one chat) until released, to kill a process mid-turn
  (`hold`);
* wait for N calls of a method (`wait_for`).

It runs in the test's own event loop (uvicorn on an ephemeral port), so a long poll is an
asyncio wait, not a thread.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_ID = 7000001
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Safe migration", "username": "safe_migration_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
_JSON_FIELDS = ("reply_markup", "commands", "scope", "allowed_updates", "link_preview_options",
                "entities", "reply_parameters")


@dataclass
class Hold:
    """A call that waits: `reached` is set when it arrives, `release()` lets it answer."""
    chat_id: int | None
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 200

    @property
    def chat_id(self) -> int | None:
        raw = self.params.get("chat_id")
        return int(raw) if raw is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


def _error(status: int, description: str, **parameters: Any) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


class FakeTelegram:
    """`async with FakeTelegram() as tg:` then point the bot at `tg.base_url` (ends in /bot)."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []  # waiting for getUpdates
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_responses: list[int] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, message id) -> message
        self._failures: dict[str, list[tuple[int, float | None]]] = {}
        self._holds: dict[str, Hold] = {}
        self.webhook_attempts = 20  # Telegram gives up on an update after many failed deliveries
        self._last_update_id = 100_000
        self._message_ids: dict[int, itertools.count] = {}
        self._changed = asyncio.Condition()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None
        self._deliveries: set[asyncio.Task] = set()
        self._client: httpx.AsyncClient | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL is set to: the client appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> "FakeTelegram":
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=1, timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.005)
        self._client = httpx.AsyncClient(timeout=10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._deliveries):
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
        if self._server is not None:
            self._server.should_exit = True
            async with self._changed:
                self._changed.notify_all()  # wake long polls so the server can stop at once
            if self._task is not None:
                await self._task
        self._sock.close()

    # -- test controls -----------------------------------------------------------------------

    def fail_next(self, method: str, n: int = 1, status: int = 500, retry_after: float | None = None) -> None:
        """The next n calls of `method` answer `status` (429 with retry_after: a flood limit)."""
        if retry_after is not None:
            status = 429
        self._failures.setdefault(method, []).extend([(status, retry_after)] * n)

    def hold(self, method: str, chat_id: int | None = None) -> Hold:
        """The next call of `method` (to `chat_id`, if given) waits until released."""
        hold = Hold(chat_id)
        self._holds[method] = hold
        return hold

    async def push(self, update: dict[str, Any]) -> int:
        """Hand one update to the bot: for getUpdates, or POSTed to its webhook when one is set.
        Returns the update_id (given or assigned)."""
        update = self._numbered(update)
        if self.webhook_url:
            task = asyncio.create_task(self._deliver(update))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        else:
            async with self._changed:
                self.updates.append(update)
                self._changed.notify_all()
        return update["update_id"]

    async def push_many(self, updates: list[dict[str, Any]]) -> None:
        """Queue several updates for getUpdates at once, so one poll returns them together
        (as after a restart that never confirmed them)."""
        async with self._changed:
            for update in updates:
                self.updates.append(self._numbered(update))
            self._changed.notify_all()

    def _numbered(self, update: dict[str, Any]) -> dict[str, Any]:
        """Update ids only grow, as Telegram's do (a given id moves the counter on)."""
        update = dict(update)
        if "update_id" not in update:
            self._last_update_id += 1
            update["update_id"] = self._last_update_id
        self._last_update_id = max(self._last_update_id, update["update_id"])
        return update

    async def _deliver(self, update: dict[str, Any]) -> None:
        """POST to the webhook set now; until a 2xx, try again later (status 0: no answer)."""
        assert self._client is not None
        for attempt in range(self.webhook_attempts):
            if attempt:
                await asyncio.sleep(min(2.0, 0.1 * 2 ** attempt))
            if not self.webhook_url:
                continue
            headers = {"content-type": "application/json"}
            if self.webhook_secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
            try:
                response = await self._client.post(self.webhook_url, content=json.dumps(update), headers=headers)
            except httpx.HTTPError:
                self.webhook_responses.append(0)
                continue
            self.webhook_responses.append(response.status_code)
            if response.status_code < 300:
                return

    def of(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200
                and (chat_id is None or c.chat_id == chat_id)]

    def attempts(self, method: str) -> list[Call]:
        """Every call of a method, failed ones included."""
        return [c for c in self.calls if c.method == method]

    def count(self, method: str, chat_id: int | None = None) -> int:
        return len(self.of(method, chat_id))

    async def wait_for(self, method: str, n: int, chat_id: int | None = None, timeout: float = 10.0) -> list[Call]:
        """Wait until at least n successful calls of `method` (to `chat_id`) were recorded."""
        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: self.count(method, chat_id) >= n)
        await asyncio.wait_for(enough(), timeout)
        return self.of(method, chat_id)

    def chat_texts(self, chat_id: int) -> list[str]:
        return [m["text"] for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    def all_text(self) -> str:
        """Every parameter of every call, as text (for privacy checks on what the bot sent)."""
        return "\n".join(json.dumps(c.params, ensure_ascii=False) for c in self.calls)

    # -- the API ---------------------------------------------------------------------------

    async def _params(self, request: Request) -> dict[str, Any]:
        kind = request.headers.get("content-type", "")
        if "application/json" in kind:
            body = await request.body()
            params = json.loads(body) if body else {}
        elif "multipart/form-data" in kind:
            form = await request.form()
            params = {k: v for k, v in form.items() if isinstance(v, str)}
        else:
            params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            params.update(request.query_params)
        for key in _JSON_FIELDS:
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        return params

    async def _endpoint(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        params = await self._params(request)
        call = Call(method, params)
        hold = self._holds.get(method)
        if hold is not None and (hold.chat_id is None or hold.chat_id == call.chat_id):
            del self._holds[method]
            hold.reached.set()
            await hold.released.wait()
        failures = self._failures.get(method)
        if token != self.token:
            call.status = 401
            response = _error(401, "Unauthorized")
        elif failures:
            status, retry_after = failures.pop(0)
            call.status = status
            response = (_error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
                        if status == 429 else _error(status, "Internal Server Error" if status == 500 else "Bad Gateway"))
        elif method == "getUpdates":
            self.calls.append(call)
            return await self._get_updates(params)
        else:
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                call.status = 404
                response = _error(404, "Not Found: method not found")
            else:
                response = handler(params)
                call.status = response.status_code
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        return response

    @staticmethod
    def _ok(result: Any) -> JSONResponse:
        return JSONResponse({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> JSONResponse:
        if self.webhook_url:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 50.0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                if offset:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                if self.updates or self._server is None or self._server.should_exit:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except asyncio.TimeoutError:
                    break
            batch = self.updates[:limit]
            self._changed.notify_all()
        return self._ok(batch)

    def _m_getMe(self, params: dict[str, Any]) -> JSONResponse:
        return self._ok(BOT_USER)

    def _m_close(self, params: dict[str, Any]) -> JSONResponse:
        return self._ok(True)

    _m_logOut = _m_close
    _m_sendChatAction = _m_close

    def _m_setMyCommands(self, params: dict[str, Any]) -> JSONResponse:
        commands = params.get("commands")
        if not isinstance(commands, list) or not commands:
            return _error(400, "Bad Request: commands must be non-empty")
        for c in commands:
            if not (1 <= len(c.get("command", "")) <= 32 and 1 <= len(c.get("description", "")) <= 256):
                return _error(400, "Bad Request: BOT_COMMAND_INVALID")
        return self._ok(True)

    def _m_getMyCommands(self, params: dict[str, Any]) -> JSONResponse:
        lang = params.get("language_code", "")
        for call in reversed(self.of("setMyCommands")):
            if call.params.get("language_code", "") == lang:
                return self._ok(call.params["commands"])
        return self._ok([])

    def _m_setWebhook(self, params: dict[str, Any]) -> JSONResponse:
        url = params.get("url") or ""
        secret = params.get("secret_token")
        if secret is not None and not (1 <= len(secret) <= 256 and all(ch.isalnum() or ch in "_-" for ch in secret)):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook_url = url or None
        self.webhook_secret = secret if url else None
        return self._ok(True)

    def _m_deleteWebhook(self, params: dict[str, Any]) -> JSONResponse:
        self.webhook_url = self.webhook_secret = None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        return self._ok(True)

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> JSONResponse:
        return self._ok({"url": self.webhook_url or "", "has_custom_certificate": False,
                         "pending_update_count": len(self.updates)})

    @staticmethod
    def _check_markup(params: dict[str, Any]) -> str | None:
        markup = params.get("reply_markup")
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    return "Bad Request: BUTTON_DATA_INVALID"
                if not button.get("text"):
                    return "Bad Request: text buttons are unallowed"
        return None

    @staticmethod
    def _text_error(params: dict[str, Any]) -> str | None:
        text = str(params.get("text", ""))
        if not text.strip():
            return "Bad Request: message text is empty"
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return "Bad Request: message is too long"
        return None

    def _m_sendMessage(self, params: dict[str, Any]) -> JSONResponse:
        if "chat_id" not in params:
            return _error(400, "Bad Request: chat not found")
        problem = self._text_error(params) or self._check_markup(params)
        if problem:
            return _error(400, problem)
        chat_id = int(params["chat_id"])
        message_id = next(self._message_ids.setdefault(chat_id, itertools.count(1)))
        message = {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
                   "chat": {"id": chat_id, "type": "private", "first_name": "User"},
                   "text": params["text"]}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message_id)] = message
        return self._ok(message)

    def _m_editMessageText(self, params: dict[str, Any]) -> JSONResponse:
        problem = self._text_error(params) or self._check_markup(params)
        if problem:
            return _error(400, problem)
        key = (int(params.get("chat_id", 0)), int(params.get("message_id", 0)))
        message = self.messages.get(key)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        if message["text"] == params["text"] and message.get("reply_markup") == params.get("reply_markup"):
            return _error(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
        message = dict(message, text=params["text"], edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[key] = message
        return self._ok(message)

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> JSONResponse:
        if not params.get("callback_query_id"):
            return _error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return self._ok(True)


# -- updates as Telegram sends them ------------------------------------------------------------

def user(chat_id: int, language_code: str | None = "en") -> dict[str, Any]:
    u: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": "Amina"}
    if language_code:
        u["language_code"] = language_code
    return u


def chat(chat_id: int, kind: str = "private") -> dict[str, Any]:
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": "Amina"}
    return {"id": chat_id, "type": kind, "title": "A group"}


_message_ids = itertools.count(1_000)


def message(chat_id: int, text: str | None = None, *, language_code: str | None = "en",
            chat_type: str = "private", **content: Any) -> dict[str, Any]:
    """A `message` object; text starting with '/' carries a bot_command entity, as Telegram's."""
    msg: dict[str, Any] = {"message_id": next(_message_ids), "date": int(time.time()),
                           "chat": chat(chat_id, chat_type)}
    if chat_type != "channel":
        msg["from"] = user(abs(chat_id), language_code)
    if text is not None:
        msg["text"] = text
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    msg.update(content)
    return msg


def text_update(chat_id: int, text: str, **kw: Any) -> dict[str, Any]:
    return {"message": message(chat_id, text, **kw)}


def callback_update(chat_id: int, data: str, on_message: dict[str, Any] | None, *,
                    language_code: str | None = "en") -> dict[str, Any]:
    query: dict[str, Any] = {"id": f"cq{next(_message_ids)}", "from": user(chat_id, language_code),
                             "chat_instance": f"ci{chat_id}", "data": data}
    if on_message is not None:
        query["message"] = on_message
    return {"callback_query": query}


_FILE = {"file_id": "AgAD-file", "file_unique_id": "uniq1"}
# one of everything a person can send that is not text, as Telegram serialises it
NON_TEXT: dict[str, dict[str, Any]] = {
    "sticker": {"sticker": dict(_FILE, width=512, height=512, is_animated=False, is_video=False, type="regular")},
    "photo": {"photo": [dict(_FILE, width=90, height=90), dict(_FILE, width=800, height=800)],
              "caption": "my passport QX998877"},
    "voice": {"voice": dict(_FILE, duration=3)},
    "video": {"video": dict(_FILE, width=640, height=480, duration=4)},
    "video_note": {"video_note": dict(_FILE, length=240, duration=4)},
    "animation": {"animation": dict(_FILE, width=320, height=240, duration=2),
                  "document": dict(_FILE)},
    "audio": {"audio": dict(_FILE, duration=60)},
    "document": {"document": dict(_FILE, file_name="contract.pdf")},
    "location": {"location": {"latitude": 25.2048, "longitude": 55.2708}},
    "venue": {"venue": {"location": {"latitude": 25.2, "longitude": 55.27}, "title": "Shelter",
                        "address": "Street 1"}, "location": {"latitude": 25.2, "longitude": 55.27}},
    "contact": {"contact": {"phone_number": "+971500000001", "first_name": "Friend"}},
    "poll": {"poll": {"id": "p1", "question": "Q?", "options": [{"text": "a", "voter_count": 0, "persistent_id": "o1"},
                                                                 {"text": "b", "voter_count": 0, "persistent_id": "o2"}],
                      "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
                      "type": "regular", "allows_multiple_answers": False, "allows_revoting": False, "members_only": False}},
    "dice": {"dice": {"emoji": "🎲", "value": 3}},
}
