"""AI enrichment's models move to apps.enrichment (its migration 0001 takes them over).

Only Django's idea of which app owns them changes: the tables `leads_enrichmentrun` and
`leads_leadenrichment`, their indexes and constraints stay as they are, with their rows.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0008_enrichment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="LeadEnrichment"),
                migrations.DeleteModel(name="EnrichmentRun"),
            ],
            database_operations=[],
        ),
    ]
