"""The widget's configuration: one per tenant, versioned (each save bumps `version`).

Imported at the end of apps/leads/models.py so that Django registers the model with the app.
Blank texts fall back to the built-in defaults (apps/leads/widget_config.py) in the visitor's
language, so a tenant that never opened the configurator still gets a complete widget.
"""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.tenants.scoping import TenantOwnedModel

hex_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Give a colour as #RRGGBB, e.g. #1570ef."))


class WidgetPosition(models.TextChoices):
    BOTTOM_RIGHT = "bottom-right", _("Bottom right")
    BOTTOM_LEFT = "bottom-left", _("Bottom left")


class FieldMode(models.TextChoices):
    HIDDEN = "hidden", _("Not asked")
    OPTIONAL = "optional", _("Optional")
    REQUIRED = "required", _("Required")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone, e.g. Europe/Moscow."))


def validate_work_days(value) -> None:
    if not isinstance(value, list) or any(
        not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6 for day in value
    ):
        raise ValidationError(_("Days are numbers from 0 (Monday) to 6 (Sunday)."))


def validate_channel_keys(value) -> None:
    if not isinstance(value, list) or any(
        not isinstance(key, str) or not 0 < len(key) <= 40 for key in value
    ):
        raise ValidationError(_("Channels are a list of channel keys."))


def _text(max_length: int, label):
    return models.CharField(label, max_length=max_length, blank=True)


def _days_default() -> list:
    return [0, 1, 2, 3, 4]


class WidgetConfig(TenantOwnedModel):
    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    title_ru = _text(120, _("title (Russian)"))
    title_en = _text(120, _("title (English)"))
    greeting_ru = _text(500, _("greeting (Russian)"))
    greeting_en = _text(500, _("greeting (English)"))
    button_ru = _text(60, _("button (Russian)"))
    button_en = _text(60, _("button (English)"))
    success_ru = _text(500, _("success message (Russian)"))
    success_en = _text(500, _("success message (English)"))

    primary_color = models.CharField(
        _("main colour"), max_length=7, default="#1570ef", validators=[hex_color]
    )
    text_color = models.CharField(
        _("text colour"), max_length=7, default="#1d2939", validators=[hex_color]
    )
    position = models.CharField(
        _("position"), max_length=20, choices=WidgetPosition.choices, default="bottom-right"
    )

    field_name = models.CharField(
        _("name"), max_length=10, choices=FieldMode.choices, default="optional"
    )
    field_phone = models.CharField(
        _("phone"), max_length=10, choices=FieldMode.choices, default="optional"
    )
    field_email = models.CharField(
        _("e-mail"), max_length=10, choices=FieldMode.choices, default="optional"
    )
    field_message = models.CharField(
        _("message"), max_length=10, choices=FieldMode.choices, default="optional"
    )

    consent_ru = _text(1000, _("personal data consent (Russian)"))
    consent_en = _text(1000, _("personal data consent (English)"))
    marketing_enabled = models.BooleanField(_("ask for marketing consent"), default=True)
    marketing_ru = _text(1000, _("marketing consent (Russian)"))
    marketing_en = _text(1000, _("marketing consent (English)"))
    policy_url = models.URLField(_("privacy policy link"), max_length=500, blank=True)

    hours_enabled = models.BooleanField(_("working hours"), default=False)
    work_days = models.JSONField(
        _("working days"), default=_days_default, blank=True, validators=[validate_work_days]
    )
    work_from = models.TimeField(_("from"), default=datetime.time(9, 0))
    work_to = models.TimeField(_("to"), default=datetime.time(18, 0))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", validators=[validate_time_zone]
    )
    offline_ru = _text(500, _("out-of-hours message (Russian)"))
    offline_en = _text(500, _("out-of-hours message (English)"))

    quick_replies_ru = models.TextField(_("quick replies (Russian), one per line"), blank=True)
    quick_replies_en = models.TextField(_("quick replies (English), one per line"), blank=True)
    # Keys offered by apps/leads/widget_channels.py (the tenant's connected channels).
    channels = models.JSONField(
        _("channels the visitor may choose"),
        default=list,
        blank=True,
        validators=[validate_channel_keys],
    )
    # Storage names of the uploaded images (apps/leads/widget_uploads.py), not edited by forms.
    logo = models.CharField(_("logo"), max_length=300, blank=True)
    avatar = models.CharField(_("operator avatar"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("widget settings")
        verbose_name_plural = _("widget settings")

    FIELDS = ("name", "email", "phone", "message")

    def clean(self):
        times = (self.work_from, self.work_to)
        valid = all(isinstance(t, datetime.time) for t in times)
        if self.hours_enabled and valid and self.work_from >= self.work_to:
            raise ValidationError({"work_to": _("The end must be after the start.")})
        if self.field_email == FieldMode.HIDDEN and self.field_phone == FieldMode.HIDDEN:
            raise ValidationError(
                {"field_email": _("Ask for an e-mail or a phone: a lead needs a contact.")}
            )

    MAX_QUICK_REPLIES = 6

    def quick_replies(self, lang: str) -> list[str]:
        return quick_reply_lines(getattr(self, f"quick_replies_{lang}"))

    def __str__(self):
        return f"widget v{self.version}"


def quick_reply_lines(text: str) -> list[str]:
    """The non-empty lines of a quick-replies text, at most six, each at most 80 characters."""
    lines = [line.strip()[:80] for line in (text or "").splitlines() if line.strip()]
    return lines[: WidgetConfig.MAX_QUICK_REPLIES]


class WidgetAsset(TenantOwnedModel):
    """One stored widget image (its bytes count against the tenant's upload quota)."""

    class Kind(models.TextChoices):
        LOGO = "logo", _("Logo")
        AVATAR = "avatar", _("Operator avatar")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("stored name"), max_length=300)
    size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("widget image")
        verbose_name_plural = _("widget images")
        indexes = [models.Index(fields=["tenant", "kind"], name="widgetasset_tenant_kind")]

    def __str__(self):
        return self.name


class WidgetOriginAttempt(TenantOwnedModel):
    """A site not in the tenant's allowed origins that tried to load the widget: shown to the
    tenant's administrators ("allow it?") until allowed or dismissed."""

    origin = models.CharField(_("site"), max_length=200)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)
    attempts = models.PositiveIntegerField(default=1)
    dismissed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("widget load from a site not allowed")
        verbose_name_plural = _("widget loads from sites not allowed")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "origin"], name="widget_origin_once")
        ]

    def __str__(self):
        return self.origin
