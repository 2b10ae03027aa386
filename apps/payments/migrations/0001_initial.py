"""Payments' models moved here from billing: state only.

The tables exist already (billing 0004/0005 created them, under their `billing_...` names which
the models keep); this migration only tells Django's state that payments owns them.
`billing.0008_move_payments_out` then re-points billing's foreign keys and drops the models
from billing's state.
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('billing', '0007_billing_event_renewal_upcoming'),
        ('tenants', '0002_api_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='InvoiceSequence',
                    fields=[
                        ('currency', models.CharField(max_length=3, primary_key=True, serialize=False)),
                        ('last_number', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'verbose_name': 'invoice sequence',
                        'verbose_name_plural': 'invoice sequences',
                        'db_table': 'billing_invoicesequence',
                    },
                ),
                migrations.CreateModel(
                    name='Invoice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('number', models.CharField(max_length=32, unique=True, verbose_name='number')),
                        ('sequence', models.PositiveIntegerField(verbose_name='sequence number')),
                        ('kind', models.CharField(choices=[('invoice', 'Invoice'), ('credit_note', 'Credit note')], default='invoice', max_length=12, verbose_name='kind')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('paid', 'Paid'), ('void', 'Void')], default='open', max_length=8, verbose_name='status')),
                        ('currency', models.CharField(max_length=3, verbose_name='currency')),
                        ('subtotal', models.BigIntegerField(verbose_name='subtotal, minor units')),
                        ('vat_rate_bp', models.PositiveIntegerField(default=0, help_text='2000 = 20 %.', verbose_name='VAT rate, basis points')),
                        ('vat_amount', models.BigIntegerField(default=0, verbose_name='VAT, minor units')),
                        ('total', models.BigIntegerField(verbose_name='total, minor units')),
                        ('issued_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='issued')),
                        ('paid_at', models.DateTimeField(blank=True, null=True, verbose_name='paid')),
                        ('period_start', models.DateTimeField(blank=True, null=True, verbose_name='period from')),
                        ('period_end', models.DateTimeField(blank=True, null=True, verbose_name='period to')),
                        ('seller', models.JSONField(default=dict, verbose_name='seller')),
                        ('buyer', models.JSONField(default=dict, verbose_name='buyer')),
                        ('language', models.CharField(default='ru', max_length=2, verbose_name='language')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
                    ],
                    options={
                        'verbose_name': 'invoice',
                        'verbose_name_plural': 'invoices',
                        'db_table': 'billing_invoice',
                        'ordering': ['-issued_at', '-sequence'],
                    },
                ),
                migrations.CreateModel(
                    name='InvoiceLine',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('description', models.CharField(max_length=300, verbose_name='description')),
                        ('quantity', models.IntegerField(default=1, verbose_name='quantity')),
                        ('unit_amount', models.BigIntegerField(verbose_name='unit price, minor units')),
                        ('amount', models.BigIntegerField(verbose_name='amount, minor units')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('invoice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='payments.invoice')),
                    ],
                    options={
                        'verbose_name': 'invoice line',
                        'verbose_name_plural': 'invoice lines',
                        'db_table': 'billing_invoiceline',
                        'ordering': ['position', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Payment',
                    fields=[
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('kind', models.CharField(choices=[('plan', 'Plan purchase'), ('renewal', 'Renewal'), ('proration', 'Upgrade (prorated)'), ('usage', 'Paid actions'), ('invoice', 'Invoice in arrears')], default='plan', max_length=10, verbose_name='kind')),
                        ('description', models.CharField(blank=True, max_length=300, verbose_name='description')),
                        ('amount', models.PositiveBigIntegerField(verbose_name='amount in minor units')),
                        ('refunded_amount', models.PositiveBigIntegerField(default=0, verbose_name='refunded, minor units')),
                        ('currency', models.CharField(max_length=3, verbose_name='currency')),
                        ('provider', models.CharField(max_length=16, verbose_name='provider')),
                        ('provider_id', models.CharField(blank=True, max_length=64, verbose_name='provider payment id')),
                        ('idempotency_key', models.CharField(max_length=64, unique=True, verbose_name='idempotency key')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('waiting_for_capture', 'Waiting for capture'), ('succeeded', 'Succeeded'), ('canceled', 'Canceled'), ('failed', 'Failed'), ('refunded', 'Refunded')], default='pending', max_length=20, verbose_name='status')),
                        ('is_test', models.BooleanField(default=False, verbose_name='test payment')),
                        ('confirmation_url', models.URLField(blank=True, max_length=500, verbose_name='confirmation URL')),
                        ('payment_method_id', models.CharField(blank=True, max_length=64, verbose_name='saved payment method')),
                        ('failure_reason', models.CharField(blank=True, max_length=300, verbose_name='failure reason')),
                        ('raw', models.JSONField(blank=True, default=dict, verbose_name='provider payload')),
                        ('period_start', models.DateTimeField(blank=True, null=True, verbose_name='renewal of the period from')),
                        ('request_id', models.CharField(blank=True, max_length=64, verbose_name='charge request id')),
                        ('claimed_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('plan', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='billing.plan', verbose_name='plan')),
                        ('subscription', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='payments', to='billing.subscription', verbose_name='subscription')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
                    ],
                    options={
                        'verbose_name': 'payment',
                        'verbose_name_plural': 'payments',
                        'db_table': 'billing_payment',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.AddField(
                    model_name='invoice',
                    name='payment',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='invoices', to='payments.payment'),
                ),
                migrations.CreateModel(
                    name='PaymentEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('provider', models.CharField(max_length=16, verbose_name='provider')),
                        ('provider_event_id', models.CharField(max_length=128, verbose_name='provider event id')),
                        ('status', models.CharField(blank=True, max_length=20, verbose_name='status')),
                        ('raw', models.JSONField(blank=True, default=dict, verbose_name='payload')),
                        ('payment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='payments.payment')),
                    ],
                    options={
                        'verbose_name': 'payment event',
                        'verbose_name_plural': 'payment events',
                        'db_table': 'billing_paymentevent',
                    },
                ),
                migrations.CreateModel(
                    name='Refund',
                    fields=[
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('amount', models.PositiveBigIntegerField(verbose_name='amount in minor units')),
                        ('currency', models.CharField(max_length=3, verbose_name='currency')),
                        ('reason', models.CharField(max_length=300, verbose_name='reason')),
                        ('idempotency_key', models.CharField(max_length=64, unique=True, verbose_name='idempotency key')),
                        ('provider_id', models.CharField(blank=True, max_length=64, verbose_name='provider refund id')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('waiting_for_capture', 'Waiting for capture'), ('succeeded', 'Succeeded'), ('canceled', 'Canceled'), ('failed', 'Failed'), ('refunded', 'Refunded')], default='pending', max_length=20, verbose_name='status')),
                        ('raw', models.JSONField(blank=True, default=dict, verbose_name='provider payload')),
                        ('payment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='payments.payment')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
                    ],
                    options={
                        'verbose_name': 'refund',
                        'verbose_name_plural': 'refunds',
                        'db_table': 'billing_refund',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.AddField(
                    model_name='invoice',
                    name='refund',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='invoices', to='payments.refund'),
                ),
                migrations.AddIndex(
                    model_name='payment',
                    index=models.Index(fields=['tenant', '-created_at'], name='payment_tenant'),
                ),
                migrations.AddConstraint(
                    model_name='payment',
                    constraint=models.UniqueConstraint(condition=models.Q(('provider_id', ''), _negated=True), fields=('provider', 'provider_id'), name='payment_provider_id_unique'),
                ),
                migrations.AddConstraint(
                    model_name='payment',
                    constraint=models.UniqueConstraint(condition=models.Q(('request_id', ''), _negated=True), fields=('request_id',), name='payment_request_id_unique'),
                ),
                migrations.AddConstraint(
                    model_name='payment',
                    constraint=models.UniqueConstraint(condition=models.Q(('period_start__isnull', False), models.Q(('status__in', ['failed', 'canceled']), _negated=True)), fields=('subscription', 'period_start'), name='payment_one_charge_per_period'),
                ),
                migrations.AddConstraint(
                    model_name='payment',
                    constraint=models.CheckConstraint(condition=models.Q(('refunded_amount__lte', models.F('amount'))), name='payment_refund_within_amount'),
                ),
                migrations.AddConstraint(
                    model_name='paymentevent',
                    constraint=models.UniqueConstraint(fields=('provider', 'provider_event_id'), name='paymentevent_unique'),
                ),
                migrations.AddIndex(
                    model_name='invoice',
                    index=models.Index(fields=['tenant', '-issued_at'], name='invoice_tenant'),
                ),
                migrations.AddConstraint(
                    model_name='invoice',
                    constraint=models.UniqueConstraint(fields=('currency', 'sequence'), name='invoice_sequence'),
                ),
                migrations.AddConstraint(
                    model_name='invoice',
                    constraint=models.UniqueConstraint(condition=models.Q(('payment__isnull', False), ('refund__isnull', True)), fields=('payment', 'kind'), name='invoice_one_per_payment'),
                ),
                migrations.AddConstraint(
                    model_name='invoice',
                    constraint=models.UniqueConstraint(condition=models.Q(('refund__isnull', False)), fields=('refund',), name='invoice_one_per_refund'),
                ),
    
            ],
        ),
    ]
