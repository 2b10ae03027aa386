"""Membership roles and what each may do. Checked on the server; templates only mirror them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    OPERATOR = "operator", _("Operator")
    ANALYST = "analyst", _("Analyst")


# Higher rank includes everything a lower rank may do.
_RANK = {Role.ANALYST: 1, Role.OPERATOR: 2, Role.ADMIN: 3}


def role_at_least(role: str, required: str) -> bool:
    return _RANK[Role(role)] >= _RANK[Role(required)]
