"""Seed the plan catalogue of shared/DESIGN.md (editable in admin afterwards), and start a
trial for tenants created before billing existed."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

PRO_TOOLS = [
    "messaging_rules",
    "enrichment",
    "export",
    "custom_branding",
    "extended_analytics",
    "hyropage",
    "upsell",
]
BUSINESS_TOOLS = [*PRO_TOOLS, "api_access", "webhooks", "advanced_analytics", "hyrocall"]

PLANS = [
    {
        "code": "trial",
        "name_ru": "Пробный",
        "name_en": "Trial",
        "description_ru": "14 дней, все инструменты, 50 лидов.",
        "description_en": "14 days, every tool, 50 leads.",
        "price_amount": 0,
        "currency": "RUB",
        "trial_days": 14,
        "lead_limit": 50,
        "limit_mode": "hard",
        "max_tenants": 1,
        "max_members": 3,
        "tools": ["*"],
        "sort_order": 0,
    },
    {
        "code": "start",
        "name_ru": "Старт",
        "name_en": "Start",
        "description_ru": "Для первых заявок: 500 лидов в месяц и базовая аналитика.",
        "description_en": "For your first leads: 500 a month and basic analytics.",
        "price_amount": 499000,
        "currency": "RUB",
        "lead_limit": 500,
        "limit_mode": "hard",
        "max_tenants": 1,
        "max_members": 3,
        "tools": ["messaging_rules"],
        "sort_order": 10,
    },
    {
        "code": "pro",
        "name_ru": "Про",
        "name_en": "Pro",
        "description_ru": "2 000 лидов, экспорт, свой брендинг, расширенная аналитика.",
        "description_en": "2,000 leads, export, custom branding, extended analytics.",
        "price_amount": 999000,
        "currency": "RUB",
        "lead_limit": 2000,
        "limit_mode": "soft",
        "max_tenants": 3,
        "max_members": 10,
        "tools": PRO_TOOLS,
        "sort_order": 20,
    },
    {
        "code": "business",
        "name_ru": "Бизнес",
        "name_en": "Business",
        "description_ru": "Без лимитов: API, вебхуки, продвинутая аналитика.",
        "description_en": "No limits: API, webhooks, advanced analytics.",
        "price_amount": 1999000,
        "currency": "RUB",
        "lead_limit": None,
        "limit_mode": "hard",
        "max_tenants": None,
        "max_members": None,
        "tools": BUSINESS_TOOLS,
        "sort_order": 30,
    },
    {
        "code": "email_2500",
        "name_ru": "Email 2 500",
        "name_en": "Email 2,500",
        "description_ru": "2 500 лидов в месяц, оплата через Stripe.",
        "description_en": "2,500 leads a month, paid through Stripe.",
        "price_amount": 1999,
        "currency": "EUR",
        "lead_limit": 2500,
        "limit_mode": "hard",
        "max_tenants": 1,
        "max_members": 3,
        "tools": ["messaging_rules"],
        "sort_order": 40,
    },
    {
        "code": "email_unlimited",
        "name_ru": "Email Безлимит",
        "name_en": "Email Unlimited",
        "description_ru": "Без ограничения лидов, оплата через Stripe.",
        "description_en": "Unlimited leads, paid through Stripe.",
        "price_amount": 3999,
        "currency": "EUR",
        "lead_limit": None,
        "limit_mode": "hard",
        "max_tenants": 1,
        "max_members": 3,
        "tools": ["messaging_rules", "export"],
        "sort_order": 50,
    },
]


def seed_plans(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for data in PLANS:
        data = dict(data)
        Plan.objects.get_or_create(code=data.pop("code"), defaults=data)


def start_trials(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    Plan = apps.get_model("billing", "Plan")
    Subscription = apps.get_model("billing", "Subscription")
    BillingAccount = apps.get_model("billing", "BillingAccount")
    trial = Plan.objects.get(code="trial")
    now = timezone.now()
    ends = now + timedelta(days=trial.trial_days)
    for tenant in Tenant.objects.all().iterator():
        BillingAccount.objects.get_or_create(tenant=tenant)
        if not Subscription.objects.filter(tenant=tenant).exists():
            Subscription.objects.create(
                tenant=tenant,
                plan=trial,
                status="trialing",
                current_period_start=now,
                current_period_end=ends,
                trial_ends_at=ends,
            )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        migrations.RunPython(seed_plans, migrations.RunPython.noop),
        migrations.RunPython(start_trials, migrations.RunPython.noop),
    ]
