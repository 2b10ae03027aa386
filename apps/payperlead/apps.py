from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayperleadConfig(AppConfig):
    """Pay-per-lead: rate cards, valuation of lead actions, savings, monthly reports.

    Its tables kept their `billing_*` names when the models moved out of billing
    (migrations/0001_initial.py), so no data was copied.
    """

    name = "apps.payperlead"
    label = "payperlead"
    verbose_name = _("Pay-per-lead")
