"""Every write of payments: the generic payment steps, notifications, refunds and invoices.

Import the module you need, e.g. `from apps.payments.services.payments import payment_claim`.
"""
