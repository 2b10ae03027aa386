"""Who may call each route: the expectations of the isolation sweep.

One entry per URL pattern (the full pattern text, as `tests/security/sweep.py` prints it).
A kind gives each caller's default outcome; `roles` gives the least role per method ("*" for
every method) of tenant pages and tenant API routes; `fixed` is one outcome for every caller;
`overrides` maps (method or "*", caller) to an outcome. `body` (formatted with tenant A's
URL values) and `query` make a request valid enough to reach the object lookup, so that
another tenant's ids answer 404 rather than a validation error.

The staff console (`admin/`) is outside the table: its own test sends every admin route to
the sign-in page for anyone who is not staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.security.seed import ALPHA
from tests.security.sweep import (
    FORBIDDEN,
    INVALID,
    LOCKED,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHENTICATED,
)

ALLOWED = frozenset({OK, INVALID})  # authorised (an empty body may still be refused with 400)
STAFF_CONSOLE = "admin/"

TENANT_PAGE = "tenant page"  # /t/<slug>/…: members by role; others sign in or get 404
TENANT_API = "tenant API"  # /api/v1/tenants/<id>/…: members and the tenant's API key by role
USER_PAGE = "signed-in page"  # any signed-in person
USER_API = "signed-in API"  # any person with a JWT; API keys are refused
PUBLIC = "public"  # anyone (markers checked as for an anonymous caller)
STAFF_API = "staff API"  # Fast Lead staff only
FIXED = "fixed"  # one outcome for every caller

_RANK = {"analyst": 1, "operator": 2, "admin": 3}
# The API key of the sweep acts with the operator role (apps.tenants.keys default).
API_KEY_ROLE = "operator"


@dataclass(frozen=True)
class Entry:
    kind: str
    roles: dict = field(default_factory=dict)
    fixed: frozenset | str = ""
    overrides: dict = field(default_factory=dict)
    methods: tuple[str, ...] = ()
    body: dict | None = None
    query: str = ""
    tool: str = ""  # the tool (apps.features registry) the route needs, "" for none
    tool_methods: tuple[str, ...] = ()  # the methods that need it (all when empty)

    @property
    def public(self) -> bool:
        return self.kind in (PUBLIC, FIXED)


def page(body=None, query="", tool="", **roles) -> Entry:
    return Entry(TENANT_PAGE, roles=_star(roles), body=body, query=query, tool=tool)


def api(body=None, tool="", tool_methods=(), **roles) -> Entry:
    return Entry(TENANT_API, roles=_star(roles), body=body, tool=tool, tool_methods=tool_methods)


def fixed(outcome, **overrides) -> Entry:
    return Entry(FIXED, fixed=outcome, overrides=overrides)


def _star(roles: dict) -> dict:
    return {("*" if k == "ANY" else k): v for k, v in roles.items()}


def _as_set(outcome) -> frozenset:
    return outcome if isinstance(outcome, frozenset) else frozenset({outcome})


def _by_role(entry: Entry, method: str, role: str) -> frozenset:
    least = entry.roles.get(method) or entry.roles.get("*")
    if least is None:
        raise LookupError(f"no least role for {method}: add {method}=<role> to the entry")
    return ALLOWED if _RANK[role] >= _RANK[least] else frozenset({FORBIDDEN})


def expected_outcome(entry: Entry, method: str, caller: str) -> frozenset:
    for key in ((method, caller), ("*", caller), (method, "*"), ("*", "*")):
        if key in entry.overrides:
            return _as_set(entry.overrides[key])
    if caller == "locked":  # tenant A's admin once the route's tool is revoked
        if not entry.tool_methods or method in entry.tool_methods:
            return frozenset({LOCKED})
        caller = "admin"
    kind = entry.kind
    if kind == FIXED:
        return _as_set(entry.fixed)
    if kind == PUBLIC:
        return ALLOWED
    if caller == "anon":
        return frozenset({LOGIN if kind in (TENANT_PAGE, USER_PAGE) else UNAUTHENTICATED})
    if caller == "api_key" and kind in (TENANT_PAGE, USER_PAGE):
        return frozenset({LOGIN})  # pages ignore API keys: the caller is signed out
    if caller == "api_key" and kind in (USER_API, STAFF_API):
        return frozenset({UNAUTHENTICATED})  # keys work on tenant routes only
    if kind in (USER_PAGE, USER_API):
        return ALLOWED
    if kind == STAFF_API:
        return frozenset({FORBIDDEN})
    if caller in ("outsider", "foreign_ids"):
        return frozenset({NOT_FOUND})
    role = API_KEY_ROLE if caller == "api_key" else caller
    return _by_role(entry, method, role)


AN, OP, AD = "analyst", "operator", "admin"
P = Entry(PUBLIC)
U_PAGE = Entry(USER_PAGE)
U_API = Entry(USER_API)
_PERIOD = "2026-01"

TABLE: dict[str, Entry] = {
    # --- operations ---------------------------------------------------------------------
    "healthz": P,
    "readyz": P,
    "metrics": fixed(NOT_FOUND),  # only a scraper on loopback or with the bearer token
    # --- allauth: sign-in, sign-up, password, social ------------------------------------
    "accounts/login/": P,
    "accounts/logout/": Entry(USER_PAGE, overrides={("POST", "*"): LOGIN}),
    "accounts/inactive/": P,
    "accounts/signup/": P,
    "accounts/reauthenticate/": U_PAGE,
    "accounts/email/": U_PAGE,
    "accounts/confirm-email/": Entry(PUBLIC, overrides={("POST", "*"): NOT_ALLOWED}),
    "accounts/password/change/": U_PAGE,
    "accounts/password/set/": U_PAGE,
    "accounts/password/reset/": P,
    "accounts/login/code/confirm/": U_PAGE,
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": Entry(
        PUBLIC, overrides={("POST", "*"): NOT_FOUND}
    ),
    "accounts/password/reset/key/done/": P,
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": P,
    "accounts/password/reset/done/": P,
    "accounts/3rdparty/login/cancelled/": P,
    "accounts/3rdparty/login/error/": fixed(UNAUTHENTICATED),  # allauth's error page
    "accounts/3rdparty/signup/": fixed(LOGIN),  # no social sign-up under way
    "accounts/3rdparty/": U_PAGE,
    "accounts/social/login/cancelled/": P,  # allauth's old URLs: redirects
    "accounts/social/login/error/": P,
    "accounts/social/signup/": P,
    "accounts/social/connections/": P,
    # OAuth providers without keys are not offered (the sweep runs without them).
    "accounts/google/login/": fixed(NOT_FOUND),
    "accounts/google/login/callback/": fixed(NOT_FOUND),
    "accounts/google/login/token/": fixed(NOT_FOUND),
    "accounts/yandex/login/": fixed(NOT_FOUND),
    "accounts/yandex/login/callback/": fixed(NOT_FOUND),
    "i18n/setlang/": P,
    # --- API: accounts and tenants ------------------------------------------------------
    "api/v1/auth/register": P,
    "api/v1/auth/login": P,
    "api/v1/auth/refresh": P,
    "api/v1/auth/confirm-email": P,
    "api/v1/auth/resend-confirmation": U_API,
    "api/v1/auth/logout-all": U_API,
    "api/v1/me": U_API,
    "api/v1/tenants/": U_API,
    "api/v1/tenants/<str:tenant_id>/": api(GET=AN, PATCH=AD),
    "api/v1/tenants/<str:tenant_id>/team/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/team/invitations/": api(POST=AD),
    "api/v1/tenants/<str:tenant_id>/team/invitations/<int:invitation_id>/": api(DELETE=AD),
    "api/v1/tenants/<str:tenant_id>/team/<int:user_id>/": api(
        {"role": "analyst"}, PATCH=AD, DELETE=AD
    ),
    "api/v1/invitations/accept": U_API,
    # --- API: leads ---------------------------------------------------------------------
    "api/v1/tenants/<str:tenant_id>/leads/": api(GET=AN, POST=OP),
    "api/v1/tenants/<str:tenant_id>/leads/bulk/": api(POST=OP),
    "api/v1/tenants/<str:tenant_id>/leads/export/": api(GET=AN, tool="export"),
    "api/v1/tenants/<str:tenant_id>/leads/exports/": api(
        GET=AN, POST=AN, tool="export", tool_methods=("POST",)
    ),
    "api/v1/tenants/<str:tenant_id>/leads/exports/<int:export_id>/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/leads/exports/<int:export_id>/download/": api(
        GET=AN, tool="export"
    ),
    "api/v1/tenants/<str:tenant_id>/leads/<int:lead_id>/": api(
        {"name": "Sweep"}, GET=AN, PATCH=OP, DELETE=OP
    ),
    "api/v1/tenants/<str:tenant_id>/leads/<int:lead_id>/notes/": api({"body": "Sweep"}, POST=OP),
    "api/v1/tenants/<str:tenant_id>/lists/": api(GET=AN, POST=OP),
    "api/v1/tenants/<str:tenant_id>/lists/<int:list_id>/": api(
        {"name": "Sweep"}, GET=AN, PATCH=OP, DELETE=OP
    ),
    "api/v1/tenants/<str:tenant_id>/customers/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/products/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/api-keys/": api(
        GET=AD, POST=AD, tool="api_access", tool_methods=("POST",)
    ),
    "api/v1/tenants/<str:tenant_id>/api-keys/<int:key_id>/": api(DELETE=AD),
    "api/v1/tenants/<str:tenant_id>/widget/": api({"title_en": "Sweep"}, GET=AN, PUT=AD),
    "api/v1/tenants/<str:tenant_id>/widget/keys/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/widget/keys/rotate/": api(POST=AD),
    "api/v1/tenants/<str:tenant_id>/channels/": api(
        GET=AD, POST=AD, tool="channels", tool_methods=("POST",)
    ),
    "api/v1/tenants/<str:tenant_id>/channels/<int:channel_id>/": api(
        {"name": "Sweep"}, PATCH=AD, DELETE=AD
    ),
    "api/v1/tenants/<str:tenant_id>/channels/<int:channel_id>/test/": api(POST=AD),
    # --- API: enrichment, features, billing ---------------------------------------------
    "api/v1/tenants/<str:tenant_id>/leads/enrich/": api(POST=OP, tool="enrichment"),
    "api/v1/tenants/<str:tenant_id>/leads/<int:lead_id>/enrich/": api(POST=OP, tool="enrichment"),
    "api/v1/tenants/<str:tenant_id>/leads/<int:lead_id>/enrichments/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/lists/<int:list_id>/enrich/": api(POST=OP, tool="enrichment"),
    "api/v1/tenants/<str:tenant_id>/enrichment-runs/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/enrichment-runs/<str:run_id>/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/features/": api(GET=AN),
    "api/v1/plans/": P,
    "api/v1/tenants/<str:tenant_id>/billing/usage/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/billing/subscription/": api(GET=AN),
    "api/v1/ops/subscriptions/eligible/": Entry(STAFF_API),
    "api/v1/ops/subscriptions/retries/": Entry(STAFF_API),
    "api/v1/ops/subscriptions/<int:subscription_id>/charge/<str:request_id>/": Entry(STAFF_API),
    "api/v1/tenants/<str:tenant_id>/billing/payments/": api(GET=AD, POST=AD),
    "api/v1/tenants/<str:tenant_id>/billing/change-plan/": api(POST=AD),
    "api/v1/tenants/<str:tenant_id>/billing/subscription/pause/": api(POST=AD),
    "api/v1/tenants/<str:tenant_id>/billing/subscription/resume/": api(POST=AD),
    "api/v1/tenants/<str:tenant_id>/billing/subscription/cancel/": api(POST=AD),
    "api/v1/tenants/<str:tenant_id>/billing/subscription/reactivate/": api(POST=AD),
    "api/v1/tenants/<str:tenant_id>/billing/subscription/pending-change/": api(DELETE=AD),
    "api/v1/tenants/<str:tenant_id>/billing/history/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/billing/account/": api(GET=AN, PATCH=AD),
    "api/v1/tenants/<str:tenant_id>/billing/invoices/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/billing/invoices/<int:invoice_id>/pdf/": api(GET=AN),
    "api/v1/tenants/<str:tenant_id>/billing/reports/": api(GET=AN),
    # --- public API (widget), schema ----------------------------------------------------
    "api/public/v1/widget/<str:publishable_key>/": P,
    # No Origin header: refused whoever calls (the widget posts from an allowed site).
    "api/public/v1/widget/<str:publishable_key>/leads/": fixed(FORBIDDEN),
    "api/schema/": Entry(PUBLIC, overrides={("*", "api_key"): UNAUTHENTICATED}),
    "api/docs/": Entry(PUBLIC, overrides={("*", "api_key"): UNAUTHENTICATED}),
    "api/redoc/": Entry(PUBLIC, overrides={("*", "api_key"): UNAUTHENTICATED}),
    # The embedded default's mailbox: the sweep runs with production's DEV_MAILBOX off.
    "dev/mail/": fixed(NOT_FOUND),
    "dev/mail/<str:mail_id>/": fixed(NOT_FOUND),
    "dev/mail/<str:mail_id>/html/": fixed(NOT_FOUND),
    # --- dashboard: account, companies, team --------------------------------------------
    "profile/": U_PAGE,
    "profile/sign-out-everywhere/": U_PAGE,
    "companies/new/": U_PAGE,
    "t/<slug:tenant_slug>/team/": page(ANY=AN),
    "t/<slug:tenant_slug>/team/invitations/": page(POST=AD),
    "t/<slug:tenant_slug>/team/invitations/<int:invitation_id>/resend/": page(POST=AD),
    "t/<slug:tenant_slug>/team/invitations/<int:invitation_id>/revoke/": page(POST=AD),
    "t/<slug:tenant_slug>/team/members/<int:user_id>/role/": page(
        POST=AD, body={"role": "analyst"}
    ),
    "t/<slug:tenant_slug>/team/members/<int:user_id>/remove/": page(POST=AD),
    "t/<slug:tenant_slug>/team/leave/": page(POST=AN),
    "t/<slug:tenant_slug>/settings/": page(GET=AN, POST=AD),
    "invitations/resume/": U_PAGE,
    # The token is the secret: whoever holds it sees the invitation; accepting it needs
    # the invited address.
    "invitations/<str:token>/": Entry(
        PUBLIC,
        overrides={
            ("POST", "anon"): LOGIN,
            ("POST", "api_key"): LOGIN,
            ("POST", "*"): FORBIDDEN,
        },
    ),
    # --- dashboard: leads, lists, imports, keys, widget, enrichment ---------------------
    "t/<slug:tenant_slug>/leads/": page(ANY=AN),
    "t/<slug:tenant_slug>/leads/bulk/": page(POST=OP),
    "t/<slug:tenant_slug>/leads/export/": page(ANY=AN, tool="export"),
    "t/<slug:tenant_slug>/leads/<int:lead_id>/": page(ANY=AN),
    "t/<slug:tenant_slug>/leads/<int:lead_id>/status/": page(POST=OP, body={"status": "contacted"}),
    "t/<slug:tenant_slug>/leads/<int:lead_id>/assign/": page(POST=OP),
    "t/<slug:tenant_slug>/leads/<int:lead_id>/move/": page(POST=OP),
    "t/<slug:tenant_slug>/leads/<int:lead_id>/escalate/": page(
        POST=OP, body={"assignee": "{own_user_id}"}
    ),
    "t/<slug:tenant_slug>/leads/<int:lead_id>/notes/": page(POST=OP, body={"body": "Sweep"}),
    "t/<slug:tenant_slug>/leads/<int:lead_id>/delete/": page(POST=OP),
    "t/<slug:tenant_slug>/leads/lists/": page(GET=AN, POST=OP),
    "t/<slug:tenant_slug>/leads/lists/<int:list_id>/rename/": page(POST=OP, body={"name": "Sweep"}),
    "t/<slug:tenant_slug>/leads/lists/<int:list_id>/delete/": page(POST=OP),
    "t/<slug:tenant_slug>/leads/import/": page(ANY=OP),
    "t/<slug:tenant_slug>/leads/import/<int:import_id>/": page(ANY=OP),
    "t/<slug:tenant_slug>/leads/import/<int:import_id>/status/": page(GET=OP),
    "t/<slug:tenant_slug>/leads/import/<int:import_id>/report/": page(GET=OP),
    "t/<slug:tenant_slug>/settings/api-keys/": page(ANY=AD),
    "t/<slug:tenant_slug>/settings/api-keys/new/": page(
        POST=AD, tool="api_access", body={"name": "Sweep", "role": "operator"}
    ),
    "t/<slug:tenant_slug>/settings/api-keys/<int:key_id>/revoke/": page(POST=AD),
    "t/<slug:tenant_slug>/widget/": page(ANY=AN),
    "t/<slug:tenant_slug>/channels/": page(ANY=AD),
    "t/<slug:tenant_slug>/channels/new/": page(
        POST=AD,
        tool="channels",
        body={  # SMTP to a closed local port: the connect's test fails at once, no network
            "provider": "smtp",
            "smtp-cred_username": "sweep",
            "smtp-cred_password": "sweep-password",
            "smtp-set_host": "127.0.0.1",
            "smtp-set_port": "1",
            "smtp-set_from_email": "sweep@example.test",
        },
    ),
    "t/<slug:tenant_slug>/channels/<int:channel_id>/edit/": page(POST=AD),
    "t/<slug:tenant_slug>/channels/<int:channel_id>/test/": page(POST=AD),
    "t/<slug:tenant_slug>/channels/<int:channel_id>/toggle/": page(POST=AD),
    "t/<slug:tenant_slug>/channels/<int:channel_id>/delete/": page(POST=AD),
    "t/<slug:tenant_slug>/widget/rotate/": page(POST=AD),
    "t/<slug:tenant_slug>/widget/settings/": page(POST=AD),
    "t/<slug:tenant_slug>/widget/preview/": page(ANY=AN),
    "t/<slug:tenant_slug>/leads/enrichment/": page(ANY=AN),
    "t/<slug:tenant_slug>/leads/enrichment/new/": page(ANY=OP, tool="enrichment"),
    "t/<slug:tenant_slug>/leads/enrichment/start/": page(POST=OP, tool="enrichment"),
    "t/<slug:tenant_slug>/leads/enrichment/<uuid:run_id>/": page(ANY=AN),
    "t/<slug:tenant_slug>/modules/": page(ANY=AN),
    # --- webhooks: unsigned posts -------------------------------------------------------
    "webhooks/tinkoff/": fixed(NOT_FOUND),  # provider not configured: no such endpoint
    "webhooks/yookassa/": fixed(NOT_FOUND),
    "webhooks/stripe/webhook/<uuid:uuid>/": fixed(INVALID),  # unknown endpoint, no signature
    # --- dashboard: billing and reports -------------------------------------------------
    "t/<slug:tenant_slug>/billing/": page(ANY=AN),
    "t/<slug:tenant_slug>/billing/pay/": page(POST=AD),
    "t/<slug:tenant_slug>/billing/pay-overdue/": page(POST=AD),
    "t/<slug:tenant_slug>/billing/sandbox/<uuid:payment_id>/": page(ANY=AD),
    "t/<slug:tenant_slug>/billing/invoices/": page(ANY=AN),
    "t/<slug:tenant_slug>/billing/invoices/<int:invoice_id>/pdf/": page(ANY=AN),
    "t/<slug:tenant_slug>/billing/payments/": page(ANY=AN),
    "t/<slug:tenant_slug>/billing/change-plan/": page(GET=AD),
    "t/<slug:tenant_slug>/billing/change-plan/confirm/": page(POST=AD),
    "t/<slug:tenant_slug>/billing/subscription/<slug:action>/": page(POST=AD),
    "t/<slug:tenant_slug>/billing/history/": page(GET=AN),
    "t/<slug:tenant_slug>/billing/details/": page(POST=AD),
    "t/<slug:tenant_slug>/billing/stripe/portal/": page(POST=AD),
    "t/<slug:tenant_slug>/billing/reports/": page(ANY=AN),
    "t/<slug:tenant_slug>/billing/reports/download/": page(
        ANY=AN, query=f"period={_PERIOD}&format=csv"
    ),
    "t/<slug:tenant_slug>/billing/reports/close/": page(POST=AD, body={"period": _PERIOD}),
    "t/<slug:tenant_slug>/billing/reports/lines/": page(
        ANY=AN, query=f"period={_PERIOD}&customer={ALPHA}-customer&product=&lead="
    ),
    # --- web ----------------------------------------------------------------------------
    "app/": U_PAGE,
    "language/": P,
    # --- public site (apps/site) ----------------------------------------------------------
    "": P,
    "pricing/": P,
    "pricing/enterprise/": P,  # an empty form answers 400 (INVALID) to everyone
    "features/": P,
    "features/widget-demo/": fixed(NOT_FOUND),  # no staff company in the sweep: no live demo
    "use-cases/": P,
    "use-cases/<slug:slug>/": P,
    "blog/": P,
    "blog/feed/": P,
    "blog/category/<slug:category_slug>/": fixed(NOT_FOUND),
    "blog/<slug:slug>/": fixed(NOT_FOUND),
    "legal/<slug:page>/": P,
    "robots.txt": P,
    "sitemap.xml": P,
    "t/<slug:tenant_slug>/": page(ANY=AN),
}


# The routes of the apps added in issue 15–18 (inbox, rules, widget, booking, analytics).
from tests.security.sweep_table_front import ENTRIES as _FRONT  # noqa: E402
from tests.security.sweep_table_integrations import ENTRIES as _INTEGRATIONS  # noqa: E402
from tests.security.sweep_table_messaging import ENTRIES as _MESSAGING  # noqa: E402
from tests.security.sweep_table_upsell import ENTRIES as _UPSELL  # noqa: E402

TABLE.update(_MESSAGING)
TABLE.update(_FRONT)
TABLE.update(_INTEGRATIONS)
TABLE.update(_UPSELL)
from tests.security.sweep_table_hyropage import ENTRIES as _HYROPAGE  # noqa: E402

TABLE.update(_HYROPAGE)

from tests.security.sweep_table_staff import ENTRIES as _STAFF  # noqa: E402

TABLE.update(_STAFF)

# The routes of the privacy app (issue 21).
from tests.security.sweep_table_privacy import ENTRIES as _PRIVACY  # noqa: E402

TABLE.update(_PRIVACY)
