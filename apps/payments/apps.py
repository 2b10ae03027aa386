from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from django.core import checks

        from apps.payments.services.receipts import check_receipt_settings

        checks.register(check_receipt_settings, "payments")
