"""The drafted outreach: a personalized e-mail and a call script from the ticket, the
classification and the recommended catalogue entry (editable before approval)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _


def draft(tenant, case, lead) -> tuple[str, str, str]:
    """(subject, e-mail body, call script) in the tenant's language."""
    ticket, cls = case.ticket, case.classification
    offer = " ".join(p for p in (case.product, case.tier) if p) or _("a plan that fits you better")
    name = (lead.name or ticket.requester_name or "").split(" ")[0]
    quote = cls.evidence_quotes[0] if cls.evidence_quotes else ticket.subject
    with translation.override(getattr(tenant, "language", None) or "ru"):
        greeting = _("Hello, %(name)s!") % {"name": name} if name else _("Hello!")
        subject = _("About your request: %(offer)s") % {"offer": offer}
        body = "\n\n".join(
            [
                greeting,
                _("You wrote to our support: “%(quote)s”.") % {"quote": quote},
                _("It looks like %(offer)s would suit you: it removes exactly this limit. "
                  "Shall we tell you about the price and switch you over?") % {"offer": offer},
                _("Just reply to this e-mail — we will answer today."),
                str(tenant.name),
            ]
        )  # fmt: skip
        script = "\n".join(
            [
                _("1. Introduce yourself from %(company)s, mention the request “%(subject)s”.")
                % {"company": tenant.name, "subject": ticket.subject},
                _("2. Confirm the need: “%(quote)s”.") % {"quote": quote},
                _("3. Offer %(offer)s and name the price.") % {"offer": offer},
                _("4. Agree on the next step (switch now or a demo)."),
            ]
        )
    return subject[:200], body, script
