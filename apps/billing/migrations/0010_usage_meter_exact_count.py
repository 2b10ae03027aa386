"""The usage counter: meters of limited plans were always kept by the quota; meters of
unlimited plans were not, so they start not exact and are counted once at the first read
(apps/billing/usage_counter.py) or when the period closes."""

from django.db import migrations, models


def unlimited_meters_not_exact(apps, schema_editor):
    UsageMeter = apps.get_model("billing", "UsageMeter")
    UsageMeter.objects.filter(lead_limit__isnull=True).update(exact=False)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_merge_0008_move_payments_out_0008_move_payperlead_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="usagemeter",
            name="exact",
            field=models.BooleanField(default=True, editable=False, verbose_name="count is exact"),
        ),
        migrations.RunPython(unlimited_meters_not_exact, migrations.RunPython.noop),
    ]
