"""The moved models' content types follow them from `leads` to `enrichment`.

The existing rows are relabelled (not recreated), so their permissions, group grants and admin
history stay attached. If the new label's row already exists (created by `migrate` itself
before this ran, e.g. on a database that had the new code first), that fresh row and its
permissions give way to the old one.
"""

from django.db import migrations

MODELS = ("enrichmentrun", "leadenrichment")


def _relabel(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        fresh = ContentType.objects.filter(app_label=target, model=model).first()
        if fresh is not None:
            Permission.objects.filter(content_type=fresh).delete()
            fresh.delete()
        ContentType.objects.filter(pk=old.pk).update(app_label=target)


def forwards(apps, schema_editor) -> None:
    _relabel(apps, "leads", "enrichment")


def backwards(apps, schema_editor) -> None:
    _relabel(apps, "enrichment", "leads")


class Migration(migrations.Migration):
    dependencies = [
        ("enrichment", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
