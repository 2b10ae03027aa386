"""`{% dev_mailbox as on %}`: whether /dev/mail/ is on (apps/core/devmail.py)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def dev_mailbox() -> bool:
    return bool(settings.DEV_MAILBOX)
