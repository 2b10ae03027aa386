"""A local fake of the Gemini API's `models/{model}:generateContent`, scriptable per test.

Answers in the documented `GenerateContentResponse` JSON (candidates with content parts,
`finishReason`, `usageMetadata`, `modelVersion`, `responseId`) and errors as
`{"error": {"code": ..., "message": ..., "status": ...}}`.
"""

from __future__ import annotations

import json
import re
import uuid

from apps.ai.tests.fake_server import Recorded, Reply, ScriptedServer

DEFAULT_MODEL_VERSION = "gemini-2.5-flash"
_PATH = re.compile(r"^/(v1|v1beta|v1alpha)/models/(?P<model>[^:/]+):generateContent$")


def _error(status: int, kind: str, message: str, headers: dict | None = None) -> Reply:
    return Reply(
        status, {"error": {"code": status, "message": message, "status": kind}}, headers or {}
    )


class FakeGemini(ScriptedServer):
    def __init__(self, *, model_version: str = DEFAULT_MODEL_VERSION, **kwargs):
        super().__init__(**kwargs)
        self.model_version = model_version
        self.default_output: dict | None = None

    def handle(self, request: Recorded) -> Reply:
        if not _PATH.match(request.path.split("?")[0]):
            return _error(404, "NOT_FOUND", f"Not found: {request.path}")
        if not request.headers.get("x-goog-api-key"):
            return _error(403, "PERMISSION_DENIED", "API key not provided")
        body = request.body if isinstance(request.body, dict) else {}
        if not body.get("contents"):
            return _error(400, "INVALID_ARGUMENT", "contents is not specified")
        return super().handle(request)

    def default_reply(self, request: Recorded) -> Reply:
        if self.default_output is None:
            return _error(500, "INTERNAL", "the fake has no scripted reply")
        return self.content_reply(self.default_output)

    def content_reply(
        self,
        output: dict | str,
        *,
        prompt_tokens: int = 300,
        output_tokens: int = 150,
        thoughts_tokens: int = 0,
        finish_reason: str = "STOP",
    ) -> Reply:
        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        usage = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens + thoughts_tokens,
        }
        if thoughts_tokens:
            usage["thoughtsTokenCount"] = thoughts_tokens
        body = {
            "candidates": [
                {
                    "content": {"parts": [{"text": text}], "role": "model"},
                    "finishReason": finish_reason,
                    "index": 0,
                }
            ],
            "usageMetadata": usage,
            "modelVersion": self.model_version,
            "responseId": uuid.uuid4().hex[:22],
        }
        return Reply(200, body)

    # --- scripting shortcuts -----------------------------------------------------------
    def ok(self, output: dict | str, **kwargs) -> FakeGemini:
        self.enqueue(self.content_reply(output, **kwargs))
        return self

    def rate_limited(self, retry_after: float = 1) -> FakeGemini:
        self.enqueue(
            _error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", {"retry-after": str(retry_after)})
        )
        return self

    def unavailable(self) -> FakeGemini:
        self.enqueue(_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."))
        return self

    def bad_request(self, message: str = "Invalid JSON payload") -> FakeGemini:
        self.enqueue(_error(400, "INVALID_ARGUMENT", message))
        return self
