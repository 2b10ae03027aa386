"""Pay-per-lead's models move out of billing without touching their tables.

Billing's 0003_payperlead created the tables (`billing_ratecard`, `billing_billingperiod`,
`billing_billingreport`, `billing_billingline`) with their indexes and constraints; the models
keep those names (`Meta.db_table`, the same index and constraint names), so this migration
only adds them to payperlead's migration state. billing's 0008_move_payperlead_out removes
them from billing's state, and 0002_move_content_types carries the content types (so admin
log entries and permissions follow).
"""

import django.db.models.deletion
import django.db.models.expressions
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('billing', '0003_payperlead'),
        ('billing', '0007_billing_event_renewal_upcoming'),
        ('leads', '0006_drop_tenant_only_indexes'),
        ('tenants', '0002_api_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='BillingReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('period', models.DateField(help_text='The first day of the month.', verbose_name='period')),
                        ('currency', models.CharField(max_length=3, verbose_name='currency')),
                        ('actions_count', models.PositiveIntegerField(default=0, verbose_name='actions')),
                        ('gross', models.BigIntegerField(default=0, verbose_name='gross')),
                        ('billed', models.BigIntegerField(default=0, verbose_name='billed')),
                        ('savings_duplicate', models.BigIntegerField(default=0, verbose_name='saved: duplicates')),
                        ('savings_cap', models.BigIntegerField(default=0, verbose_name='saved: cap')),
                        ('unpriced_count', models.PositiveIntegerField(default=0, verbose_name='unpriced actions')),
                        ('adjustments', models.JSONField(blank=True, default=dict, verbose_name='adjustments')),
                        ('products', models.JSONField(blank=True, default=list, verbose_name='totals per product')),
                        ('default_card_lead_types', models.JSONField(blank=True, default=list, verbose_name='lead types without a card of their own')),
                        ('computed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='computed')),
                        ('frozen', models.BooleanField(default=False, verbose_name='frozen')),
                        ('frozen_at', models.DateTimeField(blank=True, null=True, verbose_name='frozen at')),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='leads.customer')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
                    ],
                    options={
                        'verbose_name': 'billing report',
                        'verbose_name_plural': 'billing reports',
                        'db_table': 'billing_billingreport',
                        'ordering': ['-period', 'customer_id'],
                    },
                ),
                migrations.CreateModel(
                    name='RateCard',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('lead_type', models.CharField(blank=True, help_text='Empty: every lead type.', max_length=100, verbose_name='lead type')),
                        ('version', models.PositiveIntegerField(verbose_name='version')),
                        ('valid_from', models.DateTimeField(verbose_name='valid from')),
                        ('valid_to', models.DateTimeField(blank=True, null=True, verbose_name='valid to')),
                        ('currency', models.CharField(default='USD', max_length=3, verbose_name='currency')),
                        ('value_high', models.PositiveBigIntegerField(verbose_name='High, minor units')),
                        ('value_medium', models.PositiveBigIntegerField(verbose_name='Medium, minor units')),
                        ('value_low', models.PositiveBigIntegerField(verbose_name='Low, minor units')),
                        ('cap', models.PositiveBigIntegerField(help_text='Per person, customer, product and month.', verbose_name='cap per person, minor units')),
                        ('note', models.CharField(blank=True, max_length=300, verbose_name='note')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('customer', models.ForeignKey(blank=True, help_text='Empty: every customer.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='leads.customer', verbose_name='customer')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
                    ],
                    options={
                        'verbose_name': 'rate card',
                        'verbose_name_plural': 'rate cards',
                        'db_table': 'billing_ratecard',
                        'ordering': ['customer_id', 'lead_type', '-version'],
                    },
                ),
                migrations.CreateModel(
                    name='BillingLine',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action_ref', models.BigIntegerField(verbose_name='action id')),
                        ('person_key', models.CharField(max_length=300)),
                        ('lead_type', models.CharField(blank=True, max_length=100, verbose_name='lead type')),
                        ('action_type', models.CharField(max_length=100, verbose_name='action')),
                        ('engagement', models.CharField(max_length=8, verbose_name='engagement')),
                        ('occurred_at', models.DateTimeField(verbose_name='occurred at')),
                        ('action_period', models.DateField(verbose_name="action's period")),
                        ('value', models.BigIntegerField(verbose_name='value')),
                        ('billed', models.BigIntegerField(verbose_name='billed')),
                        ('savings', models.BigIntegerField(verbose_name='saved')),
                        ('reason', models.CharField(choices=[('none', 'Billed'), ('duplicate', 'Duplicate'), ('cap', 'Over the cap'), ('unpriced', 'Unknown engagement level')], max_length=16, verbose_name='reason')),
                        ('duplicate_of_ref', models.BigIntegerField(blank=True, null=True, verbose_name='duplicates action')),
                        ('billed_before', models.BigIntegerField(default=0, verbose_name='billed to the person before')),
                        ('card_version', models.PositiveIntegerField(verbose_name='card version')),
                        ('default_card', models.BooleanField(default=False, verbose_name='lead type without its own card')),
                        ('adjustment', models.BooleanField(default=False, verbose_name='adjustment')),
                        ('action', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='leads.leadaction')),
                        ('duplicate_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='leads.leadaction')),
                        ('lead', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='leads.lead')),
                        ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='leads.product')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
                        ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='payperlead.billingreport')),
                        ('card', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payperlead.ratecard')),
                    ],
                    options={
                        'verbose_name': 'billing line',
                        'verbose_name_plural': 'billing lines',
                        'db_table': 'billing_billingline',
                        'ordering': ['occurred_at', 'action_ref'],
                    },
                ),
                migrations.CreateModel(
                    name='BillingPeriod',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField(help_text='The first day of the month.', verbose_name='month')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('closed', 'Closed')], default='open', max_length=8, verbose_name='status')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed')),
                        ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
                    ],
                    options={
                        'verbose_name': 'billing period',
                        'verbose_name_plural': 'billing periods',
                        'db_table': 'billing_billingperiod',
                        'ordering': ['-month'],
                        'constraints': [models.UniqueConstraint(fields=('tenant', 'month'), name='billingperiod_unique_month')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='billingreport',
                    constraint=models.UniqueConstraint(fields=('tenant', 'customer', 'period'), name='billingreport_unique_period'),
                ),
                migrations.AddConstraint(
                    model_name='billingreport',
                    constraint=models.CheckConstraint(condition=models.Q(('gross', django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('billed'), '+', models.F('savings_duplicate')), '+', models.F('savings_cap')))), name='billingreport_totals_add_up'),
                ),
                migrations.AddIndex(
                    model_name='ratecard',
                    index=models.Index(fields=['tenant', 'valid_from'], name='ratecard_tenant_from'),
                ),
                migrations.AddConstraint(
                    model_name='ratecard',
                    constraint=models.UniqueConstraint(condition=models.Q(('customer__isnull', True)), fields=('tenant', 'lead_type', 'version'), name='ratecard_unique_version'),
                ),
                migrations.AddConstraint(
                    model_name='ratecard',
                    constraint=models.UniqueConstraint(condition=models.Q(('customer__isnull', False)), fields=('tenant', 'customer', 'lead_type', 'version'), name='ratecard_unique_customer_version'),
                ),
                migrations.AddConstraint(
                    model_name='ratecard',
                    constraint=models.CheckConstraint(condition=models.Q(('valid_to__isnull', True), ('valid_to__gt', models.F('valid_from')), _connector='OR'), name='ratecard_valid_range'),
                ),
                migrations.AddIndex(
                    model_name='billingline',
                    index=models.Index(fields=['tenant', 'action_period', 'action_ref'], name='billingline_act'),
                ),
                migrations.AddConstraint(
                    model_name='billingline',
                    constraint=models.UniqueConstraint(fields=('report', 'action_ref'), name='billingline_unique'),
                ),
                migrations.AddConstraint(
                    model_name='billingline',
                    constraint=models.CheckConstraint(condition=models.Q(('value', django.db.models.expressions.CombinedExpression(models.F('billed'), '+', models.F('savings')))), name='billingline_adds_up'),
                ),
            ],
        ),
    ]
