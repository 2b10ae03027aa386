"""The RUB plans stop taking leads at their limit (seed 001: over the limit, new leads wait
for an upgrade or the next period), and the plan descriptions promise only what exists.

A description is rewritten only while it is still the one 0002 seeded: staff edits stand.
"""

from django.db import migrations

# code: (old ru, old en) -> (new ru, new en)
DESCRIPTIONS = {
    "start": (
        (
            "Для первых заявок: 500 лидов в месяц и базовая аналитика.",
            "For your first leads: 500 a month and basic analytics.",
        ),
        (
            "Для первых заявок: 500 лидов в месяц, 1 компания, 3 сотрудника.",
            "For your first leads: 500 a month, 1 company, 3 team members.",
        ),
    ),
    "pro": (
        (
            "2 000 лидов, экспорт, свой брендинг, расширенная аналитика.",
            "2,000 leads, export, custom branding, extended analytics.",
        ),
        (
            "2 000 лидов в месяц, до 3 компаний и 10 сотрудников.",
            "2,000 leads a month, up to 3 companies and 10 team members.",
        ),
    ),
    "business": (
        (
            "Без лимитов: API, вебхуки, продвинутая аналитика.",
            "No limits: API, webhooks, advanced analytics.",
        ),
        (
            "Без лимитов на лиды, компании и сотрудников.",
            "No limits on leads, companies or team members.",
        ),
    ),
}


def seed_settings(data: dict) -> dict:
    """A plan of 0002's seed as this migration leaves it (plans_ensure_seeded re-creates
    plans after a `flush` from 0002's data plus this)."""
    if data["currency"] == "RUB":
        data["limit_mode"] = "hard"
    if data["code"] in DESCRIPTIONS:
        data["description_ru"], data["description_en"] = DESCRIPTIONS[data["code"]][1]
    return data


def _describe(Plan, old_index: int, new_index: int) -> None:
    for code, texts in DESCRIPTIONS.items():
        (old_ru, old_en), (new_ru, new_en) = texts[old_index], texts[new_index]
        Plan.objects.filter(code=code, description_ru=old_ru).update(description_ru=new_ru)
        Plan.objects.filter(code=code, description_en=old_en).update(description_en=new_en)


def forwards(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    Plan.objects.filter(currency="RUB").update(limit_mode="hard")
    _describe(Plan, 0, 1)


def backwards(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    Plan.objects.filter(code="pro").update(limit_mode="soft")
    _describe(Plan, 1, 0)


class Migration(migrations.Migration):
    dependencies = [("billing", "0009_merge_0008_move_payments_out_0008_move_payperlead_out")]

    operations = [migrations.RunPython(forwards, backwards)]
