import contextlib
import contextvars
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import translation
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
        # In a context of its own: each resolver marks "populating" in a context variable of
        # its own (~180 with the admin's), which would otherwise stay in every request's
        # context, and structlog walks all of them on every log line.
        contextvars.copy_context().run(_populate_resolvers, get_resolver(), code)
    connections.close_all()


def _populate_resolvers(resolver, language: str, namespace: str = "") -> None:
    """Build the reverse maps of `resolver` and of every resolver under it, in `language`,
    and the resolvers Django makes on the first reverse() of a name in each namespace (it
    keeps them; a failed reverse builds them as well)."""
    with translation.override(language):
        names = [name for name in resolver.reverse_dict if isinstance(name, str)]
        if namespace and names:
            with contextlib.suppress(NoReverseMatch):
                reverse(f"{namespace}:{names[0]}")
        children = list(resolver.namespace_dict.items())
    for name, (_prefix, child) in children:
        _populate_resolvers(child, language, f"{namespace}:{name}" if namespace else name)


warm_up()
