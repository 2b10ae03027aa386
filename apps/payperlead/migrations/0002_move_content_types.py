"""The content types of the moved models change app label, billing → payperlead, so the rows
that point at them (admin log entries, permissions and the groups holding them) follow.

A content type that payperlead already has (created by a `migrate` that stopped between the
two steps) is left alone rather than merged: nothing is deleted here.
"""

from django.db import migrations

MODELS = ("ratecard", "billingperiod", "billingreport", "billingline")


def _relabel(apps, schema_editor, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    types = ContentType.objects.using(db)
    taken = set(types.filter(app_label=new, model__in=MODELS).values_list("model", flat=True))
    types.filter(app_label=old, model__in=set(MODELS) - taken).update(app_label=new)
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, "billing", "payperlead")


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, "payperlead", "billing")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("billing", "0008_move_payperlead_out"),
        ("payperlead", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
