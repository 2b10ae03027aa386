"""The release flags of docs/release-flags.md, all off until staff turn them on."""

from django.db import migrations

FLAGS = {
    "dashboard_beta": "The beta dashboard. On for the companies in its tenant whitelist.",
    "onboarding_wizard": "The step-by-step onboarding wizard for new companies.",
    "new_billing": "The new billing pages: plan comparison and checkout on /t/<slug>/billing/.",
}


def create_flags(apps, schema_editor):
    ReleaseFlag = apps.get_model("features", "ReleaseFlag")
    for name, note in FLAGS.items():
        ReleaseFlag.objects.get_or_create(
            name=name, defaults={"note": note, "everyone": None, "superusers": False}
        )


class Migration(migrations.Migration):
    dependencies = [("features", "0001_initial")]

    operations = [migrations.RunPython(create_flags, migrations.RunPython.noop)]
