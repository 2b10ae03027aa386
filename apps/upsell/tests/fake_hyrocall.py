"""A local fake of the HYROCALL API (`POST /v1/calls`) in the documented format of
apps/upsell/providers/hyrocall.py, and a signed outcome webhook builder.

    with FakeHyrocall() as fake:
        ... HYROCALL_BASE_URL=fake.base_url ...
        fake.calls          # the calls received (phone, script, callback_url, metadata)
        body, headers = fake.outcome(call_id, "answered", summary="...")
"""

from __future__ import annotations

import itertools
import json

from apps.ai.tests.fake_server import Recorded, Reply, ScriptedServer
from apps.upsell.providers.hyrocall import SIGNATURE_HEADER, sign

API_KEY = "hc_test_key_0123456789"
WEBHOOK_SECRET = "hc_webhook_secret_abcdef"
_ids = itertools.count(1)


class FakeHyrocall(ScriptedServer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.by_key: dict[str, str] = {}
        self.calls: list[dict] = []

    def handle(self, request: Recorded) -> Reply:
        if request.path != "/v1/calls":
            return Reply(404, {"error": {"code": "not_found", "message": "no such path"}})
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return Reply(401, {"error": {"code": "unauthorized", "message": "bad key"}})
        body = request.body if isinstance(request.body, dict) else {}
        if not body.get("phone") or not body.get("callback_url"):
            return Reply(422, {"error": {"code": "invalid", "message": "phone required"}})
        scripted = super().handle(request) if self.script else None
        if scripted is not None:
            return scripted
        key = request.headers.get("idempotency-key", "")
        if key in self.by_key:  # the same request again: the same call, not a second one
            return Reply(200, {"id": self.by_key[key], "status": "queued"})
        call_id = f"call_{next(_ids):06d}"
        self.by_key[key] = call_id
        self.calls.append({**body, "id": call_id})
        return Reply(201, {"id": call_id, "status": "queued"})

    def outcome(self, call_id: str, status: str, *, event_id: str = "", summary: str = "",
                transcript: str = "") -> tuple[bytes, dict]:  # fmt: skip
        payload = {
            "event_id": event_id or f"evt_{call_id}_{status}",
            "type": "call.completed",
            "call_id": call_id,
            "status": status,
            "duration_seconds": 63,
            "summary": summary,
            "transcript": transcript,
        }
        body = json.dumps(payload).encode()
        return body, {SIGNATURE_HEADER: sign(WEBHOOK_SECRET, body)}
