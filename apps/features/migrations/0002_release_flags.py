"""The release flags of docs/release-flags.md, all off until staff turn them on."""

from django.db import migrations

FLAGS = {
    "dashboard_beta": "The beta dashboard. On for the companies on its whitelist (see below).",
    "onboarding_wizard": "The step-by-step onboarding wizard for new companies.",
    "new_billing": "The new billing pages: plan comparison on /t/<slug>/billing/, checkout.",
}


def create_flags(apps, schema_editor):
    Flag = apps.get_model("waffle", "Flag")
    for name, note in FLAGS.items():
        Flag.objects.get_or_create(
            name=name, defaults={"note": note, "everyone": None, "superusers": False}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("features", "0001_initial"),
        ("waffle", "0004_update_everyone_nullbooleanfield"),
    ]

    operations = [migrations.RunPython(create_flags, migrations.RunPython.noop)]
