"""Free-text search over name/e-mail/phone/company: one pg_trgm GIN index (PostgreSQL only).

The indexed expression must stay identical to `SEARCH_SQL` in apps/leads/selectors.py.
"""

from django.db import migrations

INDEX = "lead_search_trgm"
EXPRESSION = "(name || ' ' || email || ' ' || phone || ' ' || company)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON leads_lead USING gin ({EXPRESSION} gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_manual_fields_exports")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
