"""Rule packs: ready-made rules and templates a company installs in one step (installed
rules start switched off unless asked; installing again changes nothing).

- `seed`: the four rules of seed 003 (a fintech's signup → bank link → payment flow).
- `lifecycle`: Fast Lead's own follow-ups: welcome a new lead, nudge a lead nobody answered
  within 2 hours, win back a lost lead after 30 days, remind of a booked meeting 2 hours
  before it starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from apps.messaging.rules.authoring import rule_save, template_save
from apps.messaging.rules.models import Rule, Template


@dataclass(frozen=True)
class Pack:
    key: str
    name: object
    description: object
    templates: tuple[dict, ...]
    rules: tuple[dict, ...] = field(default=())


SEED = Pack(
    "seed",
    _("Fintech onboarding (seed 003)"),
    _("Welcome e-mail, bank-link nudge SMS, insufficient-funds e-mail, high-risk alert."),
    templates=(
        {
            "key": "welcome_email",
            "name": "Welcome e-mail",
            "subject_ru": "Добро пожаловать в {{ company.name }}",
            "body_ru": "Здравствуйте! Спасибо за регистрацию в {{ company.name }}.",
            "subject_en": "Welcome to {{ company.name }}",
            "body_en": "Hello! Thank you for signing up with {{ company.name }}.",
        },
        {
            "key": "bank_link_nudge_sms",
            "name": "Bank linked: next step",
            "body_ru": "Банк привязан! Сделайте первый платёж в {{ company.name }}.",
            "body_en": "Your bank is linked! Make your first payment with {{ company.name }}.",
        },
        {
            "key": "insufficient_funds_email",
            "name": "Payment failed: insufficient funds",
            "subject_ru": "Платёж не прошёл",
            "body_ru": "Платёж не прошёл: на счёте недостаточно средств. Пополните счёт и "
            "повторите попытку.",
            "subject_en": "Your payment did not go through",
            "body_en": "Your payment failed: insufficient funds. Top up and try again.",
        },
    ),
    rules=(
        {
            "code": "WELCOME_EMAIL",
            "name": "Welcome e-mail",
            "trigger": "signup_completed",
            "conditions": {"field": "properties.marketing_opt_in", "op": "eq", "value": True},
            "action": "send",
            "template": "welcome_email",
            "channel": "email",
            "marketing": True,
            "once_per": "ever",
            "priority": 10,
        },
        {
            "code": "BANK_LINK_NUDGE_SMS",
            "name": "Bank link nudge SMS",
            "trigger": "link_bank_success",
            "conditions": {
                "event": "signup_completed",
                "happened": True,
                "within_hours": 24,
                "direction": "before",
            },
            "action": "send",
            "template": "bank_link_nudge_sms",
            "channel": "sms",
            "once_per": "ever",
            "priority": 20,
        },
        {
            "code": "INSUFFICIENT_FUNDS_EMAIL",
            "name": "Insufficient funds e-mail",
            "trigger": "payment_failed",
            "conditions": {
                "field": "properties.failure_reason",
                "op": "eq",
                "value": "INSUFFICIENT_FUNDS",
            },
            "action": "send",
            "template": "insufficient_funds_email",
            "channel": "email",
            "once_per": "day",
            "priority": 30,
        },
        {
            "code": "HIGH_RISK_ALERT",
            "name": "High-risk alert to the team",
            "trigger": "payment_failed",
            "conditions": {"field": "properties.attempt_number", "op": "gte", "value": 3},
            "action": "alert",
            "priority": 40,
        },
    ),
)

LIFECYCLE = Pack(
    "lifecycle",
    _("Lead follow-ups (Fast Lead)"),
    _(
        "Welcome a new lead, nudge an unanswered one after 2 hours, win back lost leads after "
        "30 days, remind of a booked meeting 2 hours before."
    ),
    templates=(
        {
            "key": "lead_welcome",
            "name": "New lead: welcome",
            "subject_ru": "Мы получили вашу заявку",
            "body_ru": "Здравствуйте! {{ company.name }} получила вашу заявку и скоро свяжется "
            "с вами.",
            "subject_en": "We have your request",
            "body_en": "Hello! {{ company.name }} received your request and will contact you soon.",
        },
        {
            "key": "lead_nudge",
            "name": "Unanswered lead: nudge",
            "body_ru": "{{ company.name }}: мы не забыли о вашей заявке, менеджер скоро позвонит.",
            "body_en": "{{ company.name }}: we have not forgotten your request; a manager will "
            "call you soon.",
        },
        {
            "key": "lead_win_back",
            "name": "Lost lead: win back",
            "subject_ru": "Возвращайтесь в {{ company.name }}",
            "body_ru": "Прошёл месяц — у нас есть новые предложения. Ответьте на это письмо, "
            "и мы расскажем.",
            "subject_en": "Come back to {{ company.name }}",
            "body_en": "It has been a month and we have new offers. Reply and we will tell you.",
        },
        {
            "key": "meeting_reminder",
            "name": "Meeting reminder",
            "body_ru": "Напоминаем о встрече с {{ company.name }} в {{ properties.starts_at }}.",
            "body_en": "A reminder of your meeting with {{ company.name }} at "
            "{{ properties.starts_at }}.",
            "sample_properties": {"starts_at": "2026-01-15T10:00:00+03:00"},
        },
    ),
    rules=(
        {
            "code": "LEAD_WELCOME",
            "name": "Welcome a new lead",
            "trigger": "lead.created",
            "action": "send",
            "template": "lead_welcome",
            "channel": "email",
            "once_per": "ever",
            "priority": 10,
        },
        {
            "code": "LEAD_NUDGE_UNANSWERED",
            "name": "Nudge a lead not answered in 2 hours",
            "trigger": "lead.created",
            "conditions": {
                "all": [
                    {"field": "lead.first_contact_at", "op": "exists", "value": False},
                    {"field": "lead.status", "op": "eq", "value": "new"},
                ]
            },
            "action": "send",
            "template": "lead_nudge",
            "channel": "sms",
            "once_per": "ever",
            "delay_minutes": 120,
            "quiet_start": time(21, 0),
            "quiet_end": time(9, 0),
            "priority": 20,
        },
        {
            "code": "LEAD_WIN_BACK",
            "name": "Win back a lost lead",
            "trigger": "lead.status_changed",
            "conditions": {"field": "properties.status", "op": "eq", "value": "lost"},
            "action": "send",
            "template": "lead_win_back",
            "channel": "email",
            "marketing": True,
            "once_per": "ever",
            "delay_minutes": 30 * 24 * 60,
            "priority": 30,
        },
        {
            "code": "MEETING_REMINDER",
            "name": "Remind of a booked meeting",
            "trigger": "meeting.booked",
            "action": "send",
            "template": "meeting_reminder",
            "channel": "sms",
            "anchor": "properties.starts_at",
            "delay_minutes": -120,
            "priority": 40,
        },
    ),
)

PACKS = {pack.key: pack for pack in (SEED, LIFECYCLE)}


@transaction.atomic
def pack_install(*, tenant, key: str, enable: bool = False, actor=None) -> list[Rule]:
    """Install a pack's templates and rules; rules already there (by code) stay as they are."""
    pack = PACKS[key]
    templates = {}
    for spec in pack.templates:
        spec = dict(spec)
        key_ = spec.pop("key")
        templates[key_] = Template.objects.filter(tenant=tenant, key=key_).first() or (
            template_save(tenant=tenant, key=key_, **spec)
        )
    installed = []
    for spec in pack.rules:
        spec = dict(spec)
        existing = Rule.objects.filter(tenant=tenant, code=spec["code"]).first()
        if existing is not None:
            installed.append(existing)
            continue
        spec["template"] = templates.get(spec.get("template"))
        installed.append(rule_save(tenant=tenant, actor=actor, pack=key, enabled=enable, **spec))
    return installed
