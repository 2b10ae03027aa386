import structlog
from django.apps import AppConfig


def _return_request_id(sender, response, **kwargs) -> None:
    """Hand the request's correlation id back as X-Request-ID (support can grep the logs)."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        response["X-Request-ID"] = request_id


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from django_structlog import signals

        signals.bind_extra_request_finished_metadata.connect(
            _return_request_id, dispatch_uid="core.request_id_header"
        )
        signals.update_failure_response.connect(
            _return_request_id, dispatch_uid="core.request_id_header_on_failure"
        )
