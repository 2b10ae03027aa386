import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.urls import get_resolver
from django.utils.translation import trans_real

from fastlead.tracing import init_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fastlead.settings")
# Before the app loads its middleware: Django's instrumentation adds its own. Does nothing
# without OTEL_EXPORTER_OTLP_ENDPOINT (fastlead/tracing.py).
init_tracing("fastlead-web")
application = get_wsgi_application()


def warm_up() -> None:
    """Load now what a worker's first request would load lazily: every URLconf with its view
    modules, and the translation catalogues. gunicorn loads this module once in its master
    (`preload_app`), so a worker recycled after `max_requests` starts warm. No connection is
    left open to be shared by the forked workers."""
    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconfs
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)
    connections.close_all()


warm_up()
