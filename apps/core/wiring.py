"""Start-up wiring, one mechanism for every app: whatever an app registers at start-up (event
subscriptions, sidebar links, beat schedules, personal data, checks, signal receivers) is done
by `connect()` in its `apps/<app>/wiring.py`, with its imports at the top of that module.

`connect_all()`, called from CoreConfig.ready() once the models are loaded, runs them in
INSTALLED_APPS order (core first; the order decides in which order the in-transaction handlers
of one event run). Core names no app: it finds the modules by name, as Django's admin finds
each app's `admin.py`.
"""

from importlib import import_module

import structlog
from django.apps import apps as django_apps
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.module_loading import module_has_submodule
from django_structlog import signals as structlog_signals

from apps.core.schedules import schedules_install

WIRING_MODULE = "wiring"
_connected: list[str] = []  # the apps whose connect() ran, in order


def connect_all() -> None:
    """Run each of our apps' `wiring.connect()` in INSTALLED_APPS order, at most once per app."""
    for config in django_apps.get_app_configs():
        if config.name in _connected or not has_wiring(config):
            continue
        import_module(f"{config.name}.{WIRING_MODULE}").connect()
        _connected.append(config.name)


def has_wiring(config) -> bool:
    """Only Fast Lead's apps: a third-party package's own `wiring` module is not ours to run."""
    return config.name.startswith("apps.") and module_has_submodule(config.module, WIRING_MODULE)


def connected_apps() -> tuple[str, ...]:
    return tuple(_connected)


def connect() -> None:
    """Core's own start-up registrations."""
    structlog_signals.bind_extra_request_finished_metadata.connect(
        _return_request_id, dispatch_uid="core.request_id_header"
    )
    structlog_signals.update_failure_response.connect(
        _return_request_id, dispatch_uid="core.request_id_header_on_failure"
    )
    post_migrate.connect(
        _install_schedules,
        sender=django_apps.get_app_config("core"),
        dispatch_uid="core_install_schedules",
    )


def _return_request_id(sender, response, **kwargs) -> None:
    """Hand the request's correlation id back as X-Request-ID (support can grep the logs)."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        response["X-Request-ID"] = request_id


def _install_schedules(sender, using="default", **kwargs) -> None:
    """Every app's beat schedules after `migrate` (and after a `flush`, which empties them)."""
    periodic_task = django_apps.get_model("django_celery_beat", "PeriodicTask")
    # Not when migrating backwards past django-celery-beat's tables.
    if periodic_task._meta.db_table in connections[using].introspection.table_names():
        schedules_install(using=using)
