"""Full-text search over the words of a lead's name and company, in Russian and in English
(word forms: "Смирновой" finds "Смирнова", "companies" finds "Company"): one GIN index per
text-search configuration (PostgreSQL only; SQLite searches by substring alone).

The indexed expressions must stay identical to `_WordsVector` in apps/leads/selectors.py.
"""

from django.db import migrations

CONFIGS = {"lead_words_ru": "russian", "lead_words_en": "english"}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, config in CONFIGS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON leads_lead USING gin "
            f"(to_tsvector('{config}'::regconfig, (name || ' ' || company)))"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in CONFIGS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0012_lead_won_first_contact")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
