"""Every feature claim of the public site, in one place, each tied to the routes that make it
true. A claim is shown only while all its routes reverse (`django.urls.reverse` succeeds) and,
when it names a tool of `apps.features.registry`, while that tool is live. Features that other
apps are still building are listed here with the route names they will have: merging the app
that adds the route switches the claim on, nothing else changes.

    claims_shown()            # every claim that is true today, in order
    claims_shown("channels")  # one section of the landing and features pages
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.features.registry import UnknownTool, tool_get

# Dashboard routes carry the company; any slug shows whether the route exists.
_SAMPLE_KWARGS = ({}, {"tenant_slug": "sample"})


@dataclass(frozen=True)
class Claim:
    key: str
    section: str  # capture | work | ai | channels | money
    title: Promise | str
    text: Promise | str
    routes: tuple[str, ...]  # URL names that must exist for the claim to be true
    tool: str = ""  # a tool key of apps.features.registry that must be live
    link: str = ""  # a public URL name to learn more ("" = the features page, at the claim)
    icon: str = "check"


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "widget",
        "capture",
        _("A lead form on your site in five minutes"),
        _(
            "Paste one line of code; the form takes its texts, colours and fields from your "
            "settings and only works on the sites you allow."
        ),
        ("leads:widget", "leads:widget_preview"),
        icon="bolt",
    ),
    Claim(
        "one_list",
        "capture",
        _("One list, no duplicates"),
        _(
            "Requests from the widget, the API and CSV or Excel imports land in one list; the "
            "same person is recognised by e-mail or phone."
        ),
        ("leads:index", "leads:import"),
    ),
    Claim(
        "export",
        "work",
        _("Export to CSV and Excel"),
        _("Download the whole list or a filtered part of it."),
        ("leads:export",),
        tool="export",
    ),
    Claim(
        "team",
        "work",
        _("A team with roles"),
        _("Invite colleagues as administrators, operators or analysts."),
        ("tenants:team",),
    ),
    Claim(
        "api",
        "work",
        _("REST API"),
        _("Send leads from your own systems and read them back with API keys."),
        ("api-docs", "leads:api_keys"),
        tool="api_access",
        link="api-docs",
    ),
    Claim(
        "enrichment",
        "ai",
        _("AI enrichment"),
        _(
            "Claude fills in company, role and industry from what the lead left. Without an AI "
            "key a labelled offline mode fills in only what the e-mail domain proves and marks "
            "the rest as not determined."
        ),
        ("leads:enrichment_runs",),
        tool="enrichment",
        icon="chart",
    ),
    Claim(
        "channels",
        "channels",
        _("Your own channels, connected and tested"),
        _(
            "Connect your e-mail (SMTP), SMS (Twilio, SMSC.ru), Telegram bot and WhatsApp "
            "Cloud API accounts and send a test message from the dashboard."
        ),
        ("channels:index", "channels:create"),
        tool="channels",
    ),
    Claim(
        "inbox",
        "channels",
        _("Conversations in one inbox"),
        _("Answer leads by e-mail, SMS and messengers from the lead's card."),
        ("messaging:inbox",),
    ),
    Claim(
        "followups",
        "channels",
        _("Follow-up rules"),
        _("Messages that go out by themselves when a lead arrives or goes quiet."),
        ("messaging_rules:index",),
        tool="messaging_rules",
    ),
    Claim(
        "booking",
        "capture",
        _("Meetings booked in the widget"),
        _("Visitors pick a free slot from your calendar; the lead shows “meeting booked”."),
        ("booking:settings",),
    ),
    Claim(
        "analytics",
        "work",
        _("Analytics"),
        _("Leads, conversion by channel and the funnel from lead to meeting."),
        ("analytics:index",),
    ),
    Claim(
        "onboarding",
        "capture",
        _("A guided start"),
        _("A wizard walks you from sign-up to the first lead from your own site."),
        ("web:onboarding",),
    ),
    Claim(
        "payperlead",
        "money",
        _("Pay-per-lead reports"),
        _(
            "Monthly reports that value each lead's actions by engagement, with duplicates and "
            "the per-lead cap shown as savings."
        ),
        ("payperlead:reports",),
    ),
    Claim(
        "payments",
        "money",
        _("Pay in roubles or euros"),
        _(
            "Cards through YooKassa and T-Bank in roubles, Stripe for the euro e-mail plans; "
            "invoices and payment history in the dashboard."
        ),
        ("billing:overview", "billing:invoices"),
    ),
)


def route_exists(name: str) -> bool:
    """Whether the URL name reverses (with no arguments or with a company slug)."""
    for kwargs in _SAMPLE_KWARGS:
        try:
            reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
        return True
    return False


def _tool_live(key: str) -> bool:
    try:
        return tool_get(key).live
    except UnknownTool:
        return False


def claim_is_true(claim: Claim) -> bool:
    if claim.tool and not _tool_live(claim.tool):
        return False
    return all(route_exists(name) for name in claim.routes)


def claim_href(claim: Claim) -> str:
    """Where the claim links to on the public site."""
    if claim.link:
        return reverse(claim.link)
    return f"{reverse('site:features')}#{claim.key}"


def claims_shown(section: str | None = None) -> list[dict]:
    """The claims that are true now (optionally of one section), ready for a template."""
    return [
        {"claim": claim, "href": claim_href(claim)}
        for claim in CLAIMS
        if (section is None or claim.section == section) and claim_is_true(claim)
    ]


def claim_keys_shown() -> set[str]:
    return {item["claim"].key for item in claims_shown()}
