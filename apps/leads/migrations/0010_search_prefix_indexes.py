"""Short searches (one or two characters) match the start of the name, e-mail, phone or
company: one btree per column on (tenant, upper(column)) with text_pattern_ops, so
`upper(column) LIKE 'ZZ%'` is an index range scan inside the tenant instead of a scan of every
lead (pg_trgm cannot help under three characters). PostgreSQL only; SQLite needs none.

The indexed expressions must stay identical to `_prefix_condition` in apps/leads/selectors.py
(Django's `istartswith`: UPPER("column"::text) LIKE UPPER(…)).
"""

from django.db import migrations

COLUMNS = ("name", "email", "phone", "company")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS lead_prefix_{column} ON leads_lead "
            f"(tenant_id, (UPPER({column}::text)) text_pattern_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS lead_prefix_{column}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0009_move_enrichment_out")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
