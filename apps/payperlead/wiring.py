"""What pay-per-lead registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.core.events import subscribe
from apps.core.navigation import register_nav
from apps.leads.events import CustomerActionsRecorded
from apps.payperlead import personal_data
from apps.payperlead.navigation import NAV
from apps.payperlead.refresh import on_customer_actions_recorded


def connect() -> None:
    register_nav(*NAV)
    # After the ingestion commits: the months its actions fall in are revalued in the
    # background, so the stored reports pages read stay current.
    subscribe(CustomerActionsRecorded, on_customer_actions_recorded)
    personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
