"""What payments registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from django.core import checks

from apps.core.schedules import register_schedules
from apps.payments.schedules import SCHEDULES
from apps.payments.services.receipts import check_receipt_settings


def connect() -> None:
    checks.register(check_receipt_settings, "payments")
    register_schedules(*SCHEDULES)  # fiscal receipts, kept records past their date
