"""Structured JSON logging with a correlation id per request and per task (django-structlog).

Two scrubbers run on every line, ours and foreign (Django, Celery, gunicorn) alike:
`drop_pii` redacts keys that would carry personal data; `scrub_urls` strips what URLs carry
into the request log: query-string values (searches hold e-mails and phones) and the secret
path segments of password-reset, e-mail confirmation and invitation links.
"""

import logging
import re

import structlog

# Keys that would carry personal data; the scrubber drops them from every log line.
PII_KEYS = frozenset(
    {
        "email",
        "phone",
        "name",
        "first_name",
        "last_name",
        "full_name",
        "body",
        "message_body",
        "password",
        "token",
        "ip",
        "ip_address",
        "user_email",
        "address",
    }
)


def drop_pii(_logger, _method, event_dict: dict) -> dict:
    for key in PII_KEYS & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


REDACTED = "[redacted]"
# Query parameters whose values say nothing about a person and help to read the logs.
SAFE_QUERY_PARAMS = frozenset(
    {"page", "page_size", "per_page", "status", "format", "period", "sort", "ordering", "kind"}
)
# Path segments that are secrets: whoever reads the log could use them.
_SECRET_PATHS = re.compile(
    r"(?P<prefix>/(?:accounts/password/reset/key|accounts/confirm-email|invitations))"
    r"/(?!resume/)[^/?\s\"']+"
)
_QUERY = re.compile(r"\?(?P<query>[^\s\"'#]*)")
# An e-mail address anywhere in a URL: a path can carry one as well as a query string can
# (a mistyped link, a probe, a 404 for /…/someone@example.com/).
_EMAIL = re.compile(r"[^/?&=\s\"':]+(?:@|%40)[^/?&=\s\"':]+\.[^/?&=\s\"':]+", re.IGNORECASE)
URL_KEYS = ("event", "request", "path", "url", "referer", "http_referer", "location")


def _scrub_query(match: re.Match) -> str:
    pairs = []
    for pair in match.group("query").split("&"):
        name, sep, _value = pair.partition("=")
        keep = not sep or name in SAFE_QUERY_PARAMS
        pairs.append(pair if keep else f"{name}={REDACTED}")
    return "?" + "&".join(pairs)


def scrub_url_text(text: str) -> str:
    """`text` with secret path segments, e-mail addresses and query-string values replaced by
    [redacted]."""
    text = _SECRET_PATHS.sub(lambda m: f"{m.group('prefix')}/{REDACTED}", text)
    text = _EMAIL.sub(REDACTED, text)
    return _QUERY.sub(_scrub_query, text) if "?" in text else text


def scrub_urls(_logger, _method, event_dict: dict) -> dict:
    for key in URL_KEYS:
        value = event_dict.get(key)
        if isinstance(value, str) and "/" in value:
            event_dict[key] = scrub_url_text(value)
    return event_dict


def configure_logging(level: str, fmt: str) -> dict:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        drop_pii,
        scrub_urls,
    ]
    structlog.configure(
        processors=[
            # Below the logger's level an event is dropped before any processor runs (the
            # time stamp, the PII and URL scrubbing would otherwise run for nothing).
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processor": renderer,
                "foreign_pre_chain": shared,
            },
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # At DEBUG it dumps whole template contexts (the request with its query string,
            # users, form data) on every missing variable: never useful, always personal.
            "django.template": {"level": "INFO"},
            "django_structlog": {"level": level},
            # httpx/httpcore log each request's URL at INFO/DEBUG; the Telegram Bot API puts
            # the bot token in the path: such a line would leak a tenant's credentials.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }


logging.captureWarnings(True)
