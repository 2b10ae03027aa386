"""Why a message cannot be queued. Each is a 400 with a stable code and a message the operator
can act on (the reply box shows it; the rules engine records the code)."""

from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed


class MessagingError(ValidationFailed):
    default_code = "messaging_error"


class NoAddress(MessagingError):
    """The lead has no address in the channel (no e-mail for e-mail, no chat for Telegram…)."""

    default_code = "no_address"

    def __init__(self, message: str = ""):
        super().__init__(message or _("This lead has no address in this channel."))


class NoChannel(MessagingError):
    """No enabled channel can reach the lead (or the chosen one is disabled)."""

    default_code = "no_channel"

    def __init__(self, message: str = ""):
        super().__init__(message or _("No connected channel can reach this lead."))


class Suppressed(MessagingError):
    """The address opted out (`opt_out`, `bounce`, `complaint`, `manual`), a marketing
    message to a lead without marketing consent (`no_consent`), or the person withdrew consent
    to processing or was erased (`consent_withdrawn`, apps/privacy)."""

    default_code = "suppressed"

    def __init__(self, reason: str, message: str = ""):
        self.reason = reason
        if not message:
            message = {
                "no_consent": _("This lead has not agreed to receive marketing messages."),
                "consent_withdrawn": _(
                    "This person withdrew consent to the processing of their data: nothing "
                    "may be sent to them."
                ),
            }.get(reason) or _(
                "This address unsubscribed: only a reply to their own message may go."
            )
        super().__init__(message, extra={"reason": reason})


class OutsideWhatsAppWindow(MessagingError):
    """WhatsApp: more than 24 hours since the person's last message; only approved templates
    may start a conversation."""

    default_code = "whatsapp_window_closed"

    def __init__(self, message: str = ""):
        super().__init__(
            message
            or _(
                "WhatsApp allows free-form replies only within 24 hours of the person's last "
                "message; outside it only an approved template can be sent."
            )
        )


class TooLong(MessagingError):
    default_code = "too_long"

    def __init__(self, limit: int):
        super().__init__(
            _("The message is too long for this channel: at most %(limit)s characters.")
            % {"limit": limit},
            fields={"body": [_("At most %(limit)s characters.") % {"limit": limit}]},
        )


class NotResendable(MessagingError):
    default_code = "not_resendable"

    def __init__(self):
        super().__init__(_("Only a failed message or one with an unknown outcome can be resent."))


class UnknownTemplate(MessagingError):
    """Not one of the channel's approved templates (as last read from the provider), or its
    parameters do not fit."""

    default_code = "unknown_template"

    def __init__(self, message: str = "", fields: dict | None = None):
        super().__init__(
            message
            or _(
                "This is not one of the channel's approved templates. Test the channel on the "
                "Channels page to read them again."
            ),
            fields=fields or {"template": [_("Pick one of the approved templates.")]},
        )
