from django.apps import AppConfig


class RulesConfig(AppConfig):
    """Events, follow-up rules, decisions and the "why was this sent" audit (issue 16). A
    nested app of messaging: its own models and migrations next to the outbox."""

    name = "apps.messaging.rules"
    label = "messaging_rules"
    verbose_name = "Follow-up rules"
