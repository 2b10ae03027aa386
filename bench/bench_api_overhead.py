"""API overhead: in-process `GET /api/v1/me` with a JWT versus a minimal Django view.

Figure: the real endpoint (DRF, JWT authentication, throttling, serializer, the whole
middleware stack), DEBUG off, on PostgreSQL with persistent connections.
Yardstick: a minimal Django view through the same middleware stack doing one indexed SELECT
(the user by primary key) and returning JSON. The ratio is what DRF + JWT + our API layer
cost on top of Django itself; ECOSYSTEM.md measured a full request cycle at ~2 ms.

Run through `make bench` (bench/run_all.py), or alone with DATABASE_URL set.
"""

from __future__ import annotations

import os
import sys
import types

from _common import Summary, report, setup_django, time_ms

NAME = "api_overhead: GET /api/v1/me (JWT) vs minimal view with one indexed SELECT"
WARMUP = int(os.environ.get("BENCH_WARMUP", "50"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "500"))
BENCH_EMAIL = "bench-api@fastlead.local"

# DRF's per-user throttle (100/minute) would answer 429 after a hundred requests; a high rate
# keeps the throttle's cache round trip in the measured path.
os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")


def _yardstick_view(request):
    from django.http import JsonResponse

    from apps.accounts.models import User

    user = User.objects.only("id", "email").get(pk=request.GET["id"])
    return JsonResponse({"id": user.pk, "email": user.email})


def _install_urlconf() -> str:
    """The project's URLs plus /bench/yardstick, as a module the settings can point to."""
    from django.urls import include, path

    module = types.ModuleType("bench_urlconf")
    module.urlpatterns = [
        path("bench/yardstick", _yardstick_view),
        path("", include("fastlead.urls")),
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def _bench_user():
    from apps.accounts.models import User
    from apps.tenants.selectors import memberships_for_user
    from apps.tenants.services import tenant_create

    user, created = User.objects.get_or_create(
        email=BENCH_EMAIL, defaults={"name": "Bench", "language": "ru"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not memberships_for_user(user).exists():
        tenant_create(user=user, name="Bench Co")
    return user


def main() -> int:
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from rest_framework_simplejwt.tokens import RefreshToken

    user = _bench_user()
    token = str(RefreshToken.for_user(user).access_token)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"cache: {settings.CACHES['default']['BACKEND']}")
    print(f"requests: {WARMUP} warm-up + {REQUESTS} measured each, interleaved")

    with override_settings(ROOT_URLCONF=_install_urlconf()):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        yardstick_url = f"/bench/yardstick?id={user.pk}"

        def get_me():
            return client.get("/api/v1/me")

        def get_yardstick():
            return client.get(yardstick_url)

        probe = get_me()
        if probe.status_code != 200:
            report(
                NAME,
                figure="GET /api/v1/me",
                figure_summary=None,
                yardstick="minimal view, one indexed SELECT",
                yardstick_summary=None,
                status="skipped",
                note=f"/api/v1/me answered {probe.status_code}: {probe.content[:200]!r}",
            )
            return 0
        assert get_yardstick().status_code == 200
        for label, call in (("/api/v1/me", get_me), ("yardstick", get_yardstick)):
            with CaptureQueriesContext(connection) as queries:
                call()
            print(f"queries per request, {label}: {len(queries)}")

        for _ in range(WARMUP):
            get_me()
            get_yardstick()
        me, yard = [], []
        for _ in range(REQUESTS):
            me.append(time_ms(get_me))
            yard.append(time_ms(get_yardstick))

    report(
        NAME,
        figure="GET /api/v1/me with a JWT (DRF, throttle, serializer)",
        figure_summary=Summary.of(me),
        yardstick="minimal Django view, same middleware, one indexed SELECT",
        yardstick_summary=Summary.of(yard),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
