from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from apps.core.schedules import register_schedules
from apps.payments.schedules import SCHEDULES


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from apps.payments.services.receipts import check_receipt_settings  # needs the models

        checks.register(check_receipt_settings, "payments")
        register_schedules(*SCHEDULES)  # fiscal receipts awaiting registration
