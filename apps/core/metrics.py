"""/metrics for Prometheus, not for the world: it names routes, queues and volumes.

With METRICS_TOKEN set, a scraper sends `Authorization: Bearer <token>` (Prometheus'
`authorization` config); anything else answers 401. Without a token only a scraper on the
same machine (the TCP peer is loopback, proxies not believed) gets an answer; others get 404,
as if there were no such page.

Under several gunicorn workers (or Celery's prefork children) every process writes its
samples to PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py sets it up and marks exited workers
dead), and one scrape answers for all of them: counters summed, histograms merged. Celery queue
lengths are read from the broker at scrape time (`QueueLengthCollector`).
"""

import hmac
import ipaddress
import os

import redis
import structlog
from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

logger = structlog.get_logger(__name__)


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
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


def scrape_registry():
    """What one scrape reports: every process of this pod (multiprocess mode) or this one."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    for collector in _SCRAPE_TIME:
        registry.register(collector)
    return registry


def register_scrape_collector(collector) -> None:
    """A collector that computes its values when scraped (queue lengths, business gauges):
    reported in both modes, once, whoever calls this again (wiring run twice)."""
    if collector in _SCRAPE_TIME:
        return
    _SCRAPE_TIME.append(collector)
    REGISTRY.register(collector)


class QueueLengthCollector:
    """`fastlead_celery_queue_length{queue}`: tasks waiting in each Celery queue (Redis broker:
    the length of the queue's list). Absent when the broker is not Redis or does not answer."""

    def collect(self):
        gauge = GaugeMetricFamily(
            "fastlead_celery_queue_length", "Tasks waiting in a Celery queue", labels=["queue"]
        )
        for queue, length in queue_lengths().items():
            gauge.add_metric([queue], length)
        yield gauge


def queue_lengths() -> dict[str, int]:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        with client.pipeline() as pipe:
            for queue in settings.CELERY_TASK_QUEUES_NAMES:
                pipe.llen(queue)
            return dict(zip(settings.CELERY_TASK_QUEUES_NAMES, pipe.execute(), strict=True))
    except redis.RedisError:
        logger.warning("metrics_queue_length_unavailable")
        return {}


_SCRAPE_TIME: list = []
register_scrape_collector(QueueLengthCollector())
