"""A local fake of SendGrid's v3 API speaking its documented formats, and builders for the
callbacks SendGrid posts (Event Webhook, signed or not; Inbound Parse).

- `GET /v3/scopes` with `Authorization: Bearer <key>`: 200 {"scopes": [...]}, or 401
  {"errors": [{"field": null, "message": "..."}]} for another key.
- `POST /v3/mail/send`: 202 with an empty body and `X-Message-Id`; the JSON payload is kept
  in `sent`. `queue(status, body, headers)` makes the next send answer that instead;
  `queue_drop()` makes it read the request and close the connection without an answer.
Every request is recorded in `calls` as (method, path, headers, json)."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from email.header import Header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

API_KEY = "SG.fake-key.0123456789abcdefghijklmnopqrstuvwxyz"
UNAUTHORIZED = "The provided authorization grant is invalid, expired, or revoked"
DROP = "drop"
_ids = itertools.count(1)


class FakeSendGrid:
    def __init__(self, api_key: str = API_KEY, scopes=("mail.send", "user.profile.read")):
        self.api_key = api_key
        self.scopes = list(scopes)
        self.calls: list[tuple[str, str, dict, object]] = []
        self.sent: list[dict] = []
        self._queued: list = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v3/"

    def __enter__(self) -> FakeSendGrid:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def queue(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        self._queued.append((status, body, headers or {}))

    def queue_drop(self) -> None:
        self._queued.append(DROP)

    def answer(self, method: str, path: str, headers: dict, payload):
        with self._lock:
            self.calls.append((method, path, headers, payload))
            if headers.get("Authorization") != f"Bearer {self.api_key}":
                return 401, {"errors": [{"field": None, "message": UNAUTHORIZED}]}, {}
            if method == "GET" and path == "/v3/scopes":
                return 200, {"scopes": self.scopes}, {}
            if method == "POST" and path == "/v3/mail/send":
                if self._queued:
                    return self._queued.pop(0)
                self.sent.append(payload)
                return 202, None, {"X-Message-Id": f"fake{next(_ids):08d}"}
        return 404, {"errors": [{"field": None, "message": "not found"}]}, {}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(raw) if raw else None
                except ValueError:
                    payload = None
                answer = fake.answer(method, self.path, dict(self.headers), payload)
                if answer == DROP:  # the request arrived; the answer never does
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, body, headers = answer
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, str(value))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def log_message(self, *args):  # quiet
                pass

        return Handler


# --- what SendGrid posts to us -------------------------------------------------------------
class EventSigner:
    """The Signed Event Webhook: an ECDSA P-256 key pair; SendGrid shows the tenant the public
    key (base64 DER) and signs timestamp + body with SHA-256 (base64 DER signature)."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key(self) -> str:
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: str | None = None) -> dict:
        timestamp = timestamp or str(int(time.time()))
        signature = self.private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        }


def event(name: str, anymail_id: str, email: str = "lead@example.com", **extra) -> dict:
    """One Event Webhook event as documented (custom_args such as anymail_id merged in)."""
    return {
        "email": email,
        "timestamp": 1764900000,
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": name,
        "category": ["fastlead"],
        "sg_event_id": f"ev-{name}-{anymail_id}",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "anymail_id": anymail_id,
        **extra,
    }


def inbound_parse(
    *,
    sender: str = "Anna Smirnova <anna@example.com>",
    to: str = "sales@acme.example",
    subject: str = "Вопрос о доставке",
    text: str = "Здравствуйте! Сколько стоит доставка?",
    message_id: str = "<CAF=abc123@mail.example.com>",
) -> dict:
    """Inbound Parse's default (parsed) multipart fields."""
    encoded = Header(subject, "utf-8").encode()  # headers arrive as they were in the mail
    headers = (
        f"Received: by mx.sendgrid.net\nFrom: {sender}\nTo: {to}\nSubject: {encoded}\n"
        f"Message-ID: {message_id}\nMIME-Version: 1.0\n"
    )
    return {
        "headers": headers,
        "dkim": "{@example.com : pass}",
        "to": to,
        "from": sender,
        "subject": subject,
        "text": text,
        "sender_ip": "192.0.2.10",
        "envelope": json.dumps({"to": [to], "from": sender.rpartition("<")[2].rstrip(">")}),
        "charsets": json.dumps(
            {"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "UTF-8"}
        ),
        "SPF": "pass",
        "spam_score": "0.1",
    }
