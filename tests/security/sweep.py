"""The machinery of the isolation sweep: every route of the URLconf, its methods, the callers,
one request per (route, method, caller) and the class of its outcome.

The expectations live in `tests/security/sweep_table.py`; the test is
`tests/security/test_isolation_sweep.py`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from tests.security.seed import ALPHA, BRAVO, NEUTRAL_KWARGS, World, jwt_for

# Outcome classes.
OK = "ok"  # 2xx, or a redirect other than to a sign-in page
INVALID = "invalid"  # 400/409/422: authorised, then refused for what the sweep sent
LOGIN = "login"  # redirect to the sign-in page (dashboard or staff console)
UNAUTHENTICATED = "401"
FORBIDDEN = "403"
NOT_FOUND = "404"
LOCKED = "locked"  # 402, or 403 with code feature_locked: the tool is not in the plan
NOT_ALLOWED = "405"
THROTTLED = "429"
SERVER_ERROR = "500"

CALLERS = ("anon", "admin", "operator", "analyst", "api_key", "outsider", "foreign_ids", "locked")
TENANT_KWARGS = {"tenant_id", "tenant_slug"}
SKIPPED_METHODS = {"options", "head", "trace"}
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern, the key of the expectations table
    parts: tuple  # the pattern objects from the root down
    callback: object
    kwarg_names: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def object_kwargs(self) -> set[str]:
        return set(self.kwarg_names) - TENANT_KWARGS - set(NEUTRAL_KWARGS)


_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _kwarg_names(text: str) -> list[str]:
    return [m.group("name") for m in _GROUP.finditer(text)] + [
        m.group("name") for m in _CONVERTER.finditer(text)
    ]


def routes() -> list[Route]:
    """Every URL pattern reachable from the root URLconf, in order (a pattern shadowed by an
    earlier identical one, e.g. allauth's sign-up under our own, is unreachable: left out)."""
    found: list[Route] = []
    seen: set[str] = set()

    def walk(resolver, parts):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, (*parts, entry.pattern))
            elif isinstance(entry, URLPattern):
                chain = (*parts, entry.pattern)
                text = "".join(str(p) for p in chain)
                if text in seen:
                    continue
                seen.add(text)
                names = tuple(n for p in chain for n in _kwarg_names(str(p)))
                found.append(Route(text, chain, entry.callback, names))

    walk(get_resolver(), ())
    return found


def _render(text: str, kwargs: dict) -> str:
    text = _GROUP.sub(lambda m: str(kwargs[m.group("name")]), text)
    text = _CONVERTER.sub(lambda m: str(kwargs[m.group("name")]), text)
    return text.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")


def route_path(route: Route, kwargs: dict) -> str:
    unknown = [name for name in route.kwarg_names if name not in kwargs]
    if unknown:
        raise LookupError(
            f"route {route.pattern!r}: no sweep value for URL kwarg(s) {unknown}; add them to "
            "World.kwargs in tests/security/seed.py (a row of each tenant) or NEUTRAL_KWARGS"
        )
    path = "/" + "".join(_render(str(p), kwargs) for p in route.parts)
    resolved = resolve(path)  # the filled-in path must reach the same view
    assert resolved.func == route.callback, f"{path} resolves to {resolved.func}, not the route"
    return path


def view_methods(callback) -> tuple[str, ...] | None:
    """The HTTP methods a view accepts: a class view's handlers, a function view's
    `require_http_methods` list, or None when the view does not say (it takes any)."""
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is not None:
        names = [m for m in cls.http_method_names if m not in SKIPPED_METHODS]
        return tuple(m.upper() for m in names if hasattr(cls, m))
    fn = callback
    while fn is not None:
        code = getattr(fn, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = fn.__closure__[code.co_freevars.index("request_method_list")]
            return tuple(m for m in cell.cell_contents if m.lower() not in SKIPPED_METHODS)
        fn = getattr(fn, "__wrapped__", None)
    return None


# --- callers and requests -------------------------------------------------------------------


@dataclass
class Caller:
    name: str
    user: object | None = None
    session_key: str = ""
    jwt: str = ""
    api_key: str = ""
    world: World | None = None  # whose URL kwargs the caller uses


def callers_make(alpha: World, bravo: World) -> dict[str, Caller]:
    def person(name, user, world):
        client = Client()
        client.force_login(user)
        return Caller(name, user, client.session.session_key, jwt_for(user), world=world)

    made = {
        "anon": Caller("anon", world=alpha),
        "api_key": Caller("api_key", api_key=alpha.api_key, world=alpha),
        "outsider": person("outsider", bravo.users["admin"], alpha),
        "foreign_ids": person("foreign_ids", alpha.users["admin"], alpha),
        "locked": person("locked", alpha.users["admin"], alpha),
    }
    for role in ("admin", "operator", "analyst"):
        made[role] = person(role, alpha.users[role], alpha)
    return made


def caller_kwargs(caller: Caller, alpha: World, bravo: World) -> dict:
    kwargs = {**NEUTRAL_KWARGS, **alpha.kwargs}
    if caller.name == "foreign_ids":
        # Tenant A's URL with tenant B's object ids.
        kwargs.update({k: v for k, v in bravo.kwargs.items() if k not in TENANT_KWARGS})
    return kwargs


def _client(caller: Caller, route: Route) -> tuple[Client, dict]:
    from django.conf import settings

    # Not loopback: /metrics answers a scraper on the same machine only.
    client = Client(raise_request_exception=False, REMOTE_ADDR="203.0.113.9")
    headers = {}
    if caller.session_key and not route.is_api:
        client.cookies[settings.SESSION_COOKIE_NAME] = caller.session_key
    if caller.jwt and route.is_api:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {caller.jwt}"
    if caller.api_key:
        headers["HTTP_AUTHORIZATION"] = f"Api-Key {caller.api_key}"
    return client, headers


def send(caller: Caller, route: Route, method: str, path: str, body=None, prepare=None):
    """One request in a savepoint that is rolled back, with a clean cache after it: no case
    sees another's writes, rate-limit counters or cached entitlements. Dashboard posts go as
    HTMX does (answers carry their status instead of a redirect with a message)."""
    client, headers = _client(caller, route)
    body = body or {}
    try:
        with transaction.atomic():
            if prepare is not None:
                prepare()
            if method in ("POST", "PUT", "PATCH") and route.is_api:
                data = json.dumps(body).encode()
                response = client.generic(
                    method, path, data, content_type="application/json", **headers
                )
            elif method == "POST" and caller.name != "locked":
                response = client.post(path, body, HTTP_HX_REQUEST="true", **headers)
            elif method == "POST":  # a full page: the locked tool's page names its template
                response = client.post(path, body, **headers)
            else:
                response = client.generic(method, path, **headers)
            body = _body(response)
            transaction.set_rollback(True)
    finally:
        cache.clear()
    return response, body


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    location = "".join(
        response.get(h, "") for h in ("Location", "HX-Redirect", "Content-Disposition")
    )
    return (content.decode("utf-8", "replace") + location).lower()


def classify(response, body: str) -> str:
    status = response.status_code
    if status >= 500:
        return SERVER_ERROR
    # An HTMX request is redirected with HX-Redirect on a 200, and sent to the sign-in page
    # with HX-Refresh (apps.core.pages.DashboardErrorMiddleware).
    if response.get("HX-Refresh") == "true":
        return LOGIN
    target = response.get("HX-Redirect") or (
        response.get("Location", "") if status in (301, 302, 303, 307, 308) else ""
    )
    if target:
        return LOGIN if urlsplit(target).path.startswith(LOGIN_PATHS) else OK
    templates = {t.name for t in getattr(response, "templates", None) or ()}
    locked = "feature_locked" in body or "features/locked.html" in templates
    if status == 402 or (status == 403 and locked):
        return LOCKED
    if status in (400, 409, 422):
        return INVALID
    named = {401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 405: NOT_ALLOWED, 429: THROTTLED}
    return named.get(status, OK if status < 400 else f"{status}")


def leaked_markers(caller: Caller, body: str, public: bool = False) -> list[str]:
    """The marker strings this caller must not see that the body contains. A public route
    (sign-in, a token's invitation, the widget) is checked as if the caller were anonymous:
    no lead's personal data of either tenant."""
    if public or caller.name == "anon":
        forbidden = [f"{part}{m}" for m in (ALPHA, BRAVO) for part in ("lead@", "person.")]
    elif caller.name == "outsider":
        forbidden = [ALPHA]
    else:
        forbidden = [BRAVO]
    return [marker for marker in forbidden if marker in body]
