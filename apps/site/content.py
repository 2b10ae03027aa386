"""The site's editorial content that is not a blog post: use cases per industry and the FAQ.
What a use case promises is a list of claim keys (apps/site/claims.py): a bullet whose claim
is not true today is left out."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.site.claims import claim_keys_shown


@dataclass(frozen=True)
class UseCase:
    slug: str
    title: Promise | str
    summary: Promise | str
    problem: Promise | str
    steps: tuple[tuple[str, Promise | str], ...]  # (claim key, how it helps here)


USE_CASES: tuple[UseCase, ...] = (
    UseCase(
        "clinics",
        _("Clinics and dental practices"),
        _("Patients write in the evening and at night; nobody should wait until noon."),
        _(
            "Requests come from the site form, from calls and from messengers, and the "
            "administrators keep them in a notebook. A patient who asked twice is counted "
            "twice, and a request left at 23:00 is found the next afternoon."
        ),
        (
            ("widget", _("A form on every service page asks name, phone and consent.")),
            ("one_list", _("The same patient writing twice stays one lead with two requests.")),
            ("team", _("Administrators work the list; the head doctor reads it as an analyst.")),
            ("booking", _("The patient picks a free slot right in the form.")),
            ("followups", _("A reminder goes out if nobody called the patient back.")),
        ),
    ),
    UseCase(
        "real-estate",
        _("Real-estate agencies"),
        _("Leads from the site, listings and imports in one list without duplicates."),
        _(
            "Buyers leave requests on the agency's site and on listing portals; the exports "
            "of the portals are spreadsheets that agents copy by hand, and the same buyer "
            "turns up three times."
        ),
        (
            ("one_list", _("Import the portals' CSV or Excel files; duplicates are merged.")),
            ("enrichment", _("AI marks which requests come from companies and their industry.")),
            ("export", _("Hand a filtered list to a partner as an Excel file.")),
            ("analytics", _("See which source brings buyers who come to a viewing.")),
        ),
    ),
    UseCase(
        "education",
        _("Online schools and courses"),
        _("A trial-lesson form that fills the sales team's list by itself."),
        _(
            "Sign-ups for trial lessons arrive from landing pages, and the sales team "
            "copies them from e-mails into a spreadsheet. Parents and companies who buy "
            "for employees need different answers."
        ),
        (
            ("widget", _("One snippet on every landing page, in Russian or English.")),
            ("enrichment", _("AI separates corporate e-mails from personal ones.")),
            ("channels", _("Connect the school's Telegram bot and e-mail and test them.")),
            ("inbox", _("Answer in the messenger the student wrote from.")),
        ),
    ),
    UseCase(
        "b2b-services",
        _("B2B services and agencies"),
        _("Know who is behind a request before the first call."),
        _(
            "An agency gets requests through its site and from partners' systems; "
            "a manager spends the first call finding out what the company does."
        ),
        (
            ("enrichment", _("Company, role and industry filled in before the call.")),
            ("api", _("Partners' systems send leads through the REST API.")),
            ("payperlead", _("Bill partners per lead with monthly reports.")),
        ),
    ),
)


def use_case_get(slug: str) -> UseCase | None:
    return next((case for case in USE_CASES if case.slug == slug), None)


def use_case_steps(case: UseCase) -> list:
    """The use case's bullets whose claims are true today."""
    shown = claim_keys_shown()
    return [text for key, text in case.steps if key in shown]


FAQ: tuple[tuple[Promise | str, Promise | str], ...] = (
    (
        _("Is there a free trial?"),
        _(
            "Yes: 14 days with every tool and up to 50 leads. No card is needed to start; "
            "you choose a plan when you are ready."
        ),
    ),
    (
        _("What happens when a month's leads are used up?"),
        _(
            "New leads are refused until you move to a larger plan or the next period starts; "
            "leads already collected stay. We write to you at 80 % and 100 %."
        ),
    ),
    (
        _("Do I need a developer to install the widget?"),
        _(
            "No. Copy one line of code into your site's template or site builder, then add "
            "your site's address to the allowed sites in the dashboard."
        ),
    ),
    (
        _("How do I pay?"),
        _(
            "Rouble plans are paid by card through YooKassa or T-Bank; the euro e-mail plans "
            "through Stripe. Invoices are in the dashboard."
        ),
    ),
    (
        _("What does AI enrichment need?"),
        _(
            "Nothing from you: it reads the lead's own fields. With the operator's Claude key "
            "it fills in company, role and industry; without one, a labelled offline mode "
            "fills in only what the e-mail domain proves."
        ),
    ),
    (
        _("Can I cancel?"),
        _(
            "Yes, from the billing page. The plan works until the end of the paid period; "
            "your leads stay available for export."
        ),
    ),
)
