"""Payments, payment events, refunds and invoices moved to `apps.payments` (issue 11).

Nothing in the database changes except `django_content_type`: the tables keep their names,
billing's foreign keys (`UsageCharge.payment`, `UsageCharge.invoice`) keep pointing at the same
tables, and the models leave billing's state only (`payments.0001_initial` adds them to
payments' state). The content types move to the `payments` app label so that admin log
entries and permissions keep their objects.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ("payment", "paymentevent", "refund", "invoice", "invoiceline", "invoicesequence")


def _move_content_types(apps, schema_editor, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:
            continue
        # A content type created for the target meanwhile (a post_migrate between the two
        # migrations) holds nothing yet: the old one, with its permissions and log, wins.
        ContentType.objects.using(db).filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def content_types_forward(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, "billing", "payments")


def content_types_backward(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, "payments", "billing")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_billing_event_renewal_upcoming"),
        ("payments", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="usagecharge",
                    name="payment",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="usage_charges",
                        to="payments.payment",
                    ),
                ),
                migrations.AlterField(
                    model_name="usagecharge",
                    name="invoice",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="usage_charges",
                        to="payments.invoice",
                    ),
                ),
                migrations.DeleteModel(name="InvoiceLine"),
                migrations.DeleteModel(name="Invoice"),
                migrations.DeleteModel(name="InvoiceSequence"),
                migrations.DeleteModel(name="PaymentEvent"),
                migrations.DeleteModel(name="Refund"),
                migrations.DeleteModel(name="Payment"),
            ],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
