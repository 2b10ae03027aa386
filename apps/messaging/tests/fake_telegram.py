"""A local fake of the Telegram Bot API (https://core.telegram.org/bots/api), speaking its
documented formats: POST /bot<token>/<method> with a JSON body, answered
{"ok": true, "result": …} or {"ok": false, "error_code": 401, "description": "Unauthorized"}.
getMe, setWebhook and sendMessage; every call is recorded in `calls`."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeTelegram:
    def __init__(self, token: str):
        self.token = token
        self.calls: list[tuple[str, dict]] = []
        self.sent: list[dict] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeTelegram:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, token: str, method: str, payload: dict) -> tuple[int, dict]:
        with self._lock:
            self.calls.append((method, payload))
            if token != self.token:
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            if method == "getMe":
                bot = {"id": 42, "is_bot": True, "username": "fake_bot"}
                return 200, {"ok": True, "result": bot}
            if method == "setWebhook":
                return 200, {"ok": True, "result": True, "description": "Webhook was set"}
            if method == "sendMessage":
                self.sent.append(payload)
                result = {
                    "message_id": 1000 + len(self.sent),
                    "chat": {"id": payload.get("chat_id"), "type": "private"},
                    "text": payload.get("text"),
                }
                return 200, {"ok": True, "result": result}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    payload = {}
                _, bot, method = [*self.path.split("/", 2), "", ""][:3]
                status, body = fake.answer(bot.removeprefix("bot"), method, payload)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet
                pass

        return Handler


def telegram_update(chat_id: int, text: str, message_id: int = 1, first_name="Иван") -> dict:
    """An Update with a private text message, as Telegram posts it to a webhook."""
    return {
        "update_id": 500000 + message_id,
        "message": {
            "message_id": message_id,
            "from": {"id": chat_id, "is_bot": False, "first_name": first_name},
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            "date": 1733380000,
            "text": text,
        },
    }
