"""Structured JSON logging with a correlation id per request and per task (django-structlog)."""

import logging

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


def configure_logging(level: str, fmt: str) -> dict:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        drop_pii,
    ]
    structlog.configure(
        processors=[
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
            "django_structlog": {"level": level},
        },
    }


logging.captureWarnings(True)
