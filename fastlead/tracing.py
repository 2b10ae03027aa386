"""OpenTelemetry traces — Django requests, Celery tasks, psycopg queries, httpx calls to the
providers — exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; nothing is
instrumented or sent otherwise. The web tier starts it in fastlead/wsgi.py, each Celery pool
process in fastlead/celery.py (a batch exporter's thread does not survive a fork).

No personal data leaves: spans carry SQL with placeholders (never parameters), no headers or
bodies, and `_ScrubbingExporter` drops query strings and any path segment holding an `@` from
URL attributes, and exception messages from events, before export. For tenants whose data
must stay in Russia, point the endpoint at a collector inside the country or leave it empty
(docs/deploy.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

EVENT_TEXT = ("exception.message", "exception.stacktrace")
URL_ATTRIBUTES = ("http.url", "http.target", "url.full", "url.path", "url.query", "http.route")
_started: list[TracerProvider] = []


def init_tracing(service_name: str) -> bool:
    """Instrument this process and export its spans; False (and nothing done) without an
    endpoint or when already started."""
    endpoint = getattr(settings, "OTEL_EXPORTER_OTLP_ENDPOINT", "")
    if not endpoint or _started:
        return False
    resource = Resource.create(
        {
            "service.name": service_name,
            "service.version": getattr(settings, "FASTLEAD_RELEASE", "") or "dev",
        }
    )
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(_ScrubbingExporter(exporter)))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument(tracer_provider=provider)
    CeleryInstrumentor().instrument(tracer_provider=provider)
    PsycopgInstrumentor().instrument(tracer_provider=provider, enable_commenter=False)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _started.append(provider)
    return True


def flush_tracing() -> None:
    """Send what is buffered (a worker process about to exit, a test)."""
    for provider in _started:
        provider.force_flush()


def scrub_url(value: str) -> str:
    """The URL or path without its query string, fragment and any `@`-holding segment."""
    parts = urlsplit(value)
    path = "/".join("[redacted]" if "@" in seg else seg for seg in parts.path.split("/"))
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class _ScrubbingExporter(SpanExporter):
    def __init__(self, inner: SpanExporter):
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([_scrubbed(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _scrubbed(span: ReadableSpan) -> ReadableSpan:
    attributes = {}
    for key, value in (span.attributes or {}).items():
        if key == "url.query":
            continue
        attributes[key] = scrub_url(value) if key in URL_ATTRIBUTES else value
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=[_scrubbed_event(event) for event in span.events],
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _scrubbed_event(event: Event) -> Event:
    """An exception event keeps its type, not its message or trace (they may quote input)."""
    attributes = {
        key: value for key, value in (event.attributes or {}).items() if key not in EVENT_TEXT
    }
    return Event(event.name, attributes, event.timestamp)
