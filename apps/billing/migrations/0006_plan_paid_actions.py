"""Seed the new plan settings: the AI enrichment price per lead and how paid actions are
billed (RUB plans before the work; the EUR plans on Stripe in arrears, as metered usage).
Editable in admin afterwards."""

from django.db import migrations

ENRICHMENT_PRICES = {
    "trial": 1500,  # 15.00 RUB
    "start": 1500,
    "pro": 1000,
    "business": 500,
    "email_2500": 5,  # 0.05 EUR
    "email_unlimited": 3,
}
ARREARS = ("email_2500", "email_unlimited")


def forwards(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for code, price in ENRICHMENT_PRICES.items():
        Plan.objects.filter(code=code).update(
            enrichment_price_amount=price,
            usage_billing="arrears" if code in ARREARS else "prepaid",
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_payments_lifecycle")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
