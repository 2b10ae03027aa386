"""A local fake of Anthropic's Messages API (`POST /v1/messages`), scriptable per test.

Speaks the documented format: a `message` object with `model`, `content` blocks (JSON text,
or a `tool_use` block), `stop_reason` and `usage`; errors as
`{"type": "error", "error": {"type": ..., "message": ...}, "request_id": ...}`; `request-id`,
`retry-after` and `anthropic-ratelimit-*` headers.

    with FakeAnthropic() as fake:
        fake.ok({"answer": "yes"}, input_tokens=1200, output_tokens=300)
        fake.rate_limited(retry_after=2)
        ... ANTHROPIC_BASE_URL=fake.base_url ...
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from apps.ai.tests.fake_server import Recorded, Reply, ScriptedServer

DEFAULT_MODEL_VERSION = "claude-sonnet-4-6"
SAMPLING_PARAMS = ("temperature", "top_p", "top_k")


def _request_id() -> str:
    return f"req_{uuid.uuid4().hex[:24]}"


def _error(status: int, kind: str, message: str, headers: dict | None = None) -> Reply:
    request_id = _request_id()
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id}
    return Reply(status, body, {"request-id": request_id, **(headers or {})})


class FakeAnthropic(ScriptedServer):
    requests_limit = 50
    tokens_limit = 30000

    def __init__(self, *, model_version: str = DEFAULT_MODEL_VERSION, **kwargs):
        super().__init__(**kwargs)
        self.model_version = model_version
        self.default_output: dict[str, Any] | None = None

    # --- what the real API checks first ----------------------------------------------
    def handle(self, request: Recorded) -> Reply:
        if request.path.split("?")[0] != "/v1/messages":
            return _error(404, "not_found_error", f"Not found: {request.path}")
        bearer = request.headers.get("authorization", "").startswith("Bearer ")
        if not (bearer or request.headers.get("x-api-key")):
            return _error(401, "authentication_error", "invalid x-api-key")
        version = request.headers.get("anthropic-version")
        if not version:
            return _error(400, "invalid_request_error", "anthropic-version header is required")
        body = request.body if isinstance(request.body, dict) else {}
        missing = [k for k in ("model", "max_tokens", "messages") if k not in body]
        if missing:
            return _error(400, "invalid_request_error", f"{missing[0]}: Field required")
        sampling = [k for k in SAMPLING_PARAMS if k in body]
        if sampling and version >= "2026-10-21":
            # API version 2026-10-21 (sent by anthropic SDK 2.x) rejects sampling parameters.
            return _error(
                400, "invalid_request_error", f"{sampling[0]}: Extra inputs are not permitted"
            )
        return super().handle(request)

    def default_reply(self, request: Recorded) -> Reply:
        if self.default_output is None:
            return _error(500, "api_error", "the fake has no scripted reply")
        return self.message_reply(self.default_output)

    def over_limit_reply(self, retry_after: float) -> Reply:
        return _error(
            429,
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
            {"retry-after": str(max(1, round(retry_after))), "x-should-retry": "true"},
        )

    # --- replies ---------------------------------------------------------------------
    def message_reply(
        self,
        output: dict | str,
        *,
        input_tokens: int = 250,
        output_tokens: int = 120,
        stop_reason: str = "end_turn",
        as_tool: bool = False,
        model: str | None = None,
        delay: float = 0.0,
    ) -> Reply:
        if as_tool:
            block = {
                "type": "tool_use",
                "id": f"toolu_{uuid.uuid4().hex[:24]}",
                "name": "record_answer",
                "input": output,
            }
        else:
            text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
            block = {"type": "text", "text": text}
        request_id = _request_id()
        body = {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model or self.model_version,
            "content": [block],
            "stop_reason": "tool_use" if as_tool else stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "service_tier": "standard",
            },
        }
        return Reply(200, body, {"request-id": request_id, **self._ratelimit_headers()}, delay)

    def _ratelimit_headers(self) -> dict[str, str]:
        reset = (datetime.now(UTC) + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        used = len(self.requests)
        return {
            "anthropic-ratelimit-requests-limit": str(self.requests_limit),
            "anthropic-ratelimit-requests-remaining": str(max(self.requests_limit - used, 0)),
            "anthropic-ratelimit-requests-reset": reset,
            "anthropic-ratelimit-tokens-limit": str(self.tokens_limit),
            "anthropic-ratelimit-tokens-remaining": str(self.tokens_limit),
            "anthropic-ratelimit-tokens-reset": reset,
        }

    # --- scripting shortcuts -----------------------------------------------------------
    def ok(self, output: dict | str, **kwargs) -> FakeAnthropic:
        self.enqueue(self.message_reply(output, **kwargs))
        return self

    def rate_limited(self, retry_after: float = 1) -> FakeAnthropic:
        headers = {
            "retry-after": str(retry_after),
            "anthropic-ratelimit-requests-remaining": "0",
        }
        self.enqueue(_error(429, "rate_limit_error", "Rate limit exceeded", headers))
        return self

    def overloaded(self) -> FakeAnthropic:
        self.enqueue(_error(529, "overloaded_error", "Overloaded"))
        return self

    def server_error(self, status: int = 500) -> FakeAnthropic:
        self.enqueue(_error(status, "api_error", "Internal server error"))
        return self

    def bad_request(self, message: str = "messages: at least one message is required"):
        self.enqueue(_error(400, "invalid_request_error", message))
        return self

    def slow(self, seconds: float, output: dict | None = None) -> FakeAnthropic:
        self.enqueue(self.message_reply(output or {}, delay=seconds))
        return self

    def malformed_body(self) -> FakeAnthropic:
        """A 200 whose HTTP body is not JSON at all (a broken proxy, a truncated stream)."""
        self.enqueue(Reply(200, '{"id": "msg_01", "type": "message", "content": [', {}))
        return self
