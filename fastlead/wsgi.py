import os

from django.core.wsgi import get_wsgi_application

from fastlead.tracing import init_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fastlead.settings")
# Before the app loads its middleware: Django's instrumentation adds its own. Does nothing
# without OTEL_EXPORTER_OTLP_ENDPOINT (fastlead/tracing.py).
init_tracing("fastlead-web")
application = get_wsgi_application()
