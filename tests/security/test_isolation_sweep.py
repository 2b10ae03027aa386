"""The isolation sweep (issue #12): every route of the URLconf × each method its view accepts ×
each caller, against the expectations table (tests/security/sweep_table.py).

Callers: anonymous; tenant A's admin, operator and analyst; A's API key (operator role); an
admin of tenant B on A's URLs ("outsider"); A's admin on A's URLs with B's object ids
("foreign_ids"); A's admin once the route's tool is revoked ("locked", routes that name a
tool). Every answer must be of the expected class, never a 500, and never show the other
tenant's marker strings. A route missing from the table fails with the entry to add; a URL
kwarg the sweep has no value for fails with the kwarg's name. The staff console's routes
all send anonymous callers and tenant admins to the staff sign-in page.

Figures (outcome classes) are printed at the end of the module (`pytest -s`).

The world (two seeded tenants) is built once per module inside a transaction that is rolled
back at the end; every request runs in a savepoint that is rolled back too.
"""

from __future__ import annotations

import logging
import os

import pytest
from django.db import transaction
from django.test import TestCase, override_settings

from apps.features.services import tenant_feature_set
from tests.security import sweep
from tests.security.seed import ALPHA, BRAVO, world_create
from tests.security.sweep_table import STAFF_CONSOLE, TABLE, expected_outcome

ROUTES = sweep.routes()
RECORD = os.environ.get("SWEEP_RECORD")  # write the observed grid there instead of asserting
OUTCOMES: dict[str, int] = {}  # outcome class -> cases, printed at the end of the module


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    media = str(tmp_path_factory.mktemp("sweep-media"))
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CELERY_TASK_ALWAYS_EAGER=True,
        DEV_MAILBOX=False,  # as in production: the mailbox pages are 404
        MEDIA_ROOT=media,
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "fastlead-tests",
            }
        },
    )
    with django_db_blocker.unblock(), fast:
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                alpha, bravo = world_create(ALPHA, "company-a"), world_create(BRAVO, "company-b")
            logging.disable(logging.INFO)  # thousands of request lines: nothing to read here
            yield alpha, bravo, sweep.callers_make(alpha, bravo), media
        finally:
            logging.disable(logging.NOTSET)
            print(f"\nisolation sweep: {sum(OUTCOMES.values())} cases, {OUTCOMES}")
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _route_id(route: sweep.Route) -> str:
    return route.pattern or "<root>"


def test_every_route_has_an_entry():
    missing = [r.pattern for r in ROUTES if r.pattern not in TABLE and not _is_staff(r)]
    stale = sorted(set(TABLE) - {r.pattern for r in ROUTES})
    assert not missing, (
        "routes without an entry in tests/security/sweep_table.py TABLE (add one saying who "
        f"may call them): {missing}"
    )
    assert not stale, f"TABLE entries for routes that no longer exist: {stale}"


def _is_staff(route) -> bool:
    return route.pattern.startswith(STAFF_CONSOLE)


def _methods(route) -> tuple[str, ...]:
    entry = TABLE.get(route.pattern)
    declared = sweep.view_methods(route.callback)
    if declared is not None:
        return declared
    if entry is not None and entry.methods:
        return entry.methods
    return ("GET", "POST")


def _revoke(world, tool):
    def revoke():
        tenant_feature_set(tenant=world.tenant, feature=tool, mode="revoke", reason="sweep")

    return revoke


def _body(entry, alpha) -> dict | None:
    if entry is None or entry.body is None:
        return None
    return {k: str(v).format(**alpha.kwargs) for k, v in entry.body.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if not _is_staff(r)], ids=_route_id)
def test_route(route, worlds, settings):
    alpha, bravo, callers, settings.MEDIA_ROOT = worlds
    failures, grid = [], {}
    entry = TABLE.get(route.pattern)
    assert entry is not None or RECORD, f"add {route.pattern!r} to sweep_table.TABLE"
    public = entry is not None and entry.public
    for method in _methods(route):
        for name in sweep.CALLERS:
            if name == "foreign_ids" and not route.object_kwargs:
                continue
            if name == "locked" and not (entry and entry.tool):
                continue
            caller = callers[name]
            path = sweep.route_path(route, sweep.caller_kwargs(caller, alpha, bravo))
            if entry is not None and entry.query:
                path += "?" + entry.query
            prepare = _revoke(alpha, entry.tool) if name == "locked" else None
            response, body = sweep.send(caller, route, method, path, _body(entry, alpha), prepare)
            outcome = sweep.classify(response, body)
            OUTCOMES[outcome] = OUTCOMES.get(outcome, 0) + 1
            grid[(method, name)] = f"{outcome}({response.status_code})"
            leaks = sweep.leaked_markers(caller, body, public)
            if leaks:
                failures.append(f"{method} {path} as {name}: shows {leaks}")
            if RECORD:
                continue
            expected = expected_outcome(entry, method, name)
            if outcome not in expected:
                detail = getattr(response, "exc_info", None)
                failures.append(
                    f"{method} {path} as {name}: {outcome} ({response.status_code}), "
                    f"expected {'/'.join(sorted(expected))}"
                    + (f" — {detail[1]!r}" if detail else "")
                )
    if RECORD:
        _record(route, grid)
    assert not failures, "\n".join(failures)


def _record(route, grid):
    with open(RECORD, "a") as out:
        cells = " ".join(f"{m}:{c}={o}" for (m, c), o in grid.items())
        out.write(f"{route.pattern}\t{cells}\n")


# --- the staff console ----------------------------------------------------------------------

# Values for the staff console's URL kwargs: any value reaches the staff check first.
ADMIN_KWARGS = {
    "object_id": "1",
    "id": "1",
    "content_type_id": "1",
    "action_id": 1,
    "model_name": "x",
    "action_name": "x",
    "url": "x",
}
# Pages of the console that anyone may open (the sign-in page itself, leaving it).
ADMIN_OPEN = {"admin/login/", "admin/logout/"}


def _admin_kwargs(route) -> dict:
    kwargs = dict(ADMIN_KWARGS)
    # The app index takes one of a fixed list of labels: (?P<app_label>auth|sites|…)
    group = route.pattern.partition("(?P<app_label>")[2]
    if group:
        kwargs["app_label"] = group.split("|", 1)[0].split(")", 1)[0]
    return kwargs


@pytest.mark.django_db
def test_staff_console_sends_everyone_else_to_its_sign_in_page(worlds, settings):
    """Every route of the Django admin, for anonymous and for a tenant's admin (not staff):
    the staff sign-in page, never a 500, never a page."""
    *_, callers, settings.MEDIA_ROOT = worlds
    failures, checked = [], 0
    for route in (r for r in ROUTES if _is_staff(r) and r.pattern not in ADMIN_OPEN):
        path = sweep.route_path(route, _admin_kwargs(route))
        for name in ("anon", "admin"):
            response, body = sweep.send(callers[name], route, "GET", path)
            outcome = sweep.classify(response, body)
            OUTCOMES[outcome] = OUTCOMES.get(outcome, 0) + 1
            checked += 1
            if outcome != sweep.LOGIN or "/admin/login/" not in body:
                failures.append(f"GET {path} as {name}: {outcome} ({response.status_code})")
    assert checked > 100, "the staff console's routes were not found"
    assert not failures, "\n".join(failures)
