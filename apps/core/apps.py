import structlog
from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

from apps.core.schedules import schedules_install


def _return_request_id(sender, response, **kwargs) -> None:
    """Hand the request's correlation id back as X-Request-ID (support can grep the logs)."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        response["X-Request-ID"] = request_id


def _install_schedules(sender, using="default", **kwargs) -> None:
    """Every app's beat schedules after `migrate` (and after a `flush`, which empties them)."""
    # django-celery-beat's models: not importable before the app registry is ready.
    from django_celery_beat.models import PeriodicTask

    # Not when migrating backwards past django-celery-beat's tables.
    if PeriodicTask._meta.db_table in connections[using].introspection.table_names():
        schedules_install(using=using)


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
        post_migrate.connect(_install_schedules, sender=self, dispatch_uid="core_install_schedules")
