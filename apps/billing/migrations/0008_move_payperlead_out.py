"""Pay-per-lead's models now belong to the `payperlead` app (its 0001_initial): they leave
billing's migration state only. Their tables, still named `billing_*`, stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_billing_event_renewal_upcoming"),
        ("payperlead", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                # Lines first: they point at reports and rate cards.
                migrations.DeleteModel(name="BillingLine"),
                migrations.DeleteModel(name="BillingReport"),
                migrations.DeleteModel(name="BillingPeriod"),
                migrations.DeleteModel(name="RateCard"),
            ],
        ),
    ]
