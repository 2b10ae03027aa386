from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.core.events import subscribe
from apps.core.navigation import register_nav
from apps.leads.events import CustomerActionsRecorded
from apps.payperlead.navigation import NAV


class PayperleadConfig(AppConfig):
    """Pay-per-lead: rate cards, valuation of lead actions, savings, monthly reports.

    Its tables kept their `billing_*` names when the models moved out of billing
    (migrations/0001_initial.py), so no data was copied.
    """

    name = "apps.payperlead"
    label = "payperlead"
    verbose_name = _("Pay-per-lead")

    def ready(self) -> None:
        # Uses the models: loaded once the app registry is ready.
        from apps.payperlead.refresh import on_customer_actions_recorded

        register_nav(*NAV)
        # After the ingestion commits: the months its actions fall in are revalued in the
        # background, so the stored reports pages read stay current.
        subscribe(CustomerActionsRecorded, on_customer_actions_recorded)
        from apps.payperlead import personal_data  # the models: once the registry is ready

        personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
