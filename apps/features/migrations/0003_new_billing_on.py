"""Checkout and plan choice are live for everyone: `new_billing` is switched on (Everyone =
Yes). Staff keep it as a kill switch (Everyone = No) in the console."""

from django.db import migrations


def switch_on(apps, schema_editor):
    Flag = apps.get_model("waffle", "Flag")
    Flag.objects.filter(name="new_billing", everyone__isnull=True).update(everyone=True)


class Migration(migrations.Migration):
    dependencies = [("features", "0002_release_flags"), ("waffle", "0004_update_everyone_nullbooleanfield")]

    operations = [migrations.RunPython(switch_on, migrations.RunPython.noop)]
