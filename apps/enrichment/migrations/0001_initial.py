"""AI enrichment's models, taken over from apps.leads (leads 0009 let go of them).

State only: the tables (`leads_enrichmentrun`, `leads_leadenrichment`), their indexes and
constraints exist since leads 0008 and keep their names and rows (Meta.db_table).
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("leads", "0009_move_enrichment_out"),  # after leads 0008 created the tables
        ("billing", "0005_payments_lifecycle"),  # UsageCharge, which a run's charge points to
        ("tenants", "0002_api_keys"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EnrichmentRun',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('scope', models.JSONField(blank=True, default=dict, help_text='e.g. {"lead_ids": [...]}, {"list_id": 7} or {"filter": {...}}.', verbose_name='what was selected')),
                        ('force', models.BooleanField(default=False, verbose_name='re-enrich unchanged leads')),
                        ('status', models.CharField(choices=[('pending', 'Waiting for payment'), ('declined', 'Payment declined'), ('running', 'Running'), ('done', 'Done')], default='pending', max_length=10, verbose_name='status')),
                        ('failure_reason', models.CharField(blank=True, max_length=300, verbose_name='failure reason')),
                        ('leads_selected', models.PositiveIntegerField(default=0, verbose_name='leads selected')),
                        ('leads_billable', models.PositiveIntegerField(default=0, verbose_name='leads to enrich')),
                        ('leads_enriched', models.PositiveIntegerField(default=0, verbose_name='enriched')),
                        ('leads_failed', models.PositiveIntegerField(default=0, verbose_name='failed')),
                        ('leads_skipped', models.PositiveIntegerField(default=0, verbose_name='skipped')),
                        ('billing_reference', models.CharField(blank=True, max_length=100, verbose_name='billing reference')),
                        ('price_amount', models.BigIntegerField(default=0, verbose_name='charged, minor units')),
                        ('price_currency', models.CharField(blank=True, max_length=3, verbose_name='currency')),
                        ('token_cost', models.DecimalField(decimal_places=6, default=0, max_digits=12, verbose_name='AI cost, USD')),
                        ('input_tokens', models.PositiveBigIntegerField(default=0, verbose_name='input tokens')),
                        ('output_tokens', models.PositiveBigIntegerField(default=0, verbose_name='output tokens')),
                        ('offline', models.BooleanField(default=False, help_text='No AI key: heuristic enricher.', verbose_name='offline heuristic')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                        ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
                        ('usage_charge', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.usagecharge')),
                    ],
                    options={
                        'verbose_name': 'enrichment run',
                        'verbose_name_plural': 'enrichment runs',
                        'db_table': 'leads_enrichmentrun',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='LeadEnrichment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('enriched', 'Enriched'), ('failed', 'Failed'), ('skipped', 'Skipped')], default='pending', max_length=10, verbose_name='status')),
                        ('failure_reason', models.CharField(blank=True, max_length=300, verbose_name='reason')),
                        ('input_hash', models.CharField(max_length=64, verbose_name='input hash')),
                        ('billable', models.BooleanField(default=True, verbose_name='billable')),
                        ('fields', models.JSONField(blank=True, default=dict, help_text='Normalized fields; a field not determined is null: {"industry": null}.', verbose_name='result')),
                        ('applied_fields', models.JSONField(blank=True, default=list, verbose_name='written to the lead')),
                        ('raw_response', models.JSONField(blank=True, default=dict, verbose_name='raw response')),
                        ('model_version', models.CharField(blank=True, max_length=100, verbose_name='model version')),
                        ('input_tokens', models.PositiveIntegerField(default=0, verbose_name='input tokens')),
                        ('output_tokens', models.PositiveIntegerField(default=0, verbose_name='output tokens')),
                        ('cost', models.DecimalField(decimal_places=6, default=0, max_digits=12, verbose_name='AI cost, USD')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                        ('lead', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='enrichments', to='leads.lead')),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='enrichment.enrichmentrun')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
                    ],
                    options={
                        'verbose_name': 'lead enrichment',
                        'verbose_name_plural': 'lead enrichments',
                        'db_table': 'leads_leadenrichment',
                        'ordering': ['pk'],
                    },
                ),
                migrations.AddIndex(
                    model_name='enrichmentrun',
                    index=models.Index(fields=['tenant', '-created_at'], name='enrichmentrun_tenant'),
                ),
                migrations.AddIndex(
                    model_name='leadenrichment',
                    index=models.Index(fields=['run', 'status'], name='leadenrichment_run_status'),
                ),
                migrations.AddIndex(
                    model_name='leadenrichment',
                    index=models.Index(fields=['tenant', 'lead', 'input_hash'], name='leadenrichment_input'),
                ),
                migrations.AddConstraint(
                    model_name='leadenrichment',
                    constraint=models.UniqueConstraint(fields=('run', 'lead'), name='leadenrichment_run_lead'),
                ),
            ],
            database_operations=[],
        ),
    ]
