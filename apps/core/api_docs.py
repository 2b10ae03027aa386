"""The API's documentation pages, Swagger UI at /api/docs/ and ReDoc at /api/redoc/, served
from our own static files (drf-spectacular-sidecar) under the site's Content Security Policy:
no CDN, no inline script (the policy allows neither)."""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its start script fetched as a file (`?script`), not inline."""

    template_name = "api_docs/swagger_ui.html"


# ReDoc styles itself with generated <style> tags and searches in a blob: web worker.
@method_decorator(
    csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}),
    name="dispatch",
)
class RedocView(SpectacularRedocView):
    template_name = "api_docs/redoc.html"
