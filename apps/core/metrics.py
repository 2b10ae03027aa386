"""/metrics for Prometheus, not for the world: it names routes, queues and volumes.

With METRICS_TOKEN set, a scraper sends `Authorization: Bearer <token>` (Prometheus'
`authorization` config); anything else answers 401. Without a token only a scraper on the
same machine (the TCP peer is loopback, proxies not believed) gets an answer; others get 404,
as if there were no such page.
"""

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView


def _bearer(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _from_loopback(request) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@never_cache
def metrics(request):
    expected = settings.METRICS_TOKEN
    if expected:
        if not hmac.compare_digest(_bearer(request).encode(), expected.encode()):
            response = HttpResponse("metrics need a bearer token\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif not _from_loopback(request):
        raise Http404
    return ExportToDjangoView(request)
