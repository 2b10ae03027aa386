"""Where accounts keeps one of our users' data (apps/core/personal_data.py): the user row and
allauth's e-mail addresses and social logins, registered from apps/accounts/wiring.py."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount

from apps.accounts.models import User
from apps.core.personal_data import BLANK, EMPTY_JSON, PersonalData, register_personal_data


def _erased_email(value, row) -> str:
    return f"erased-{row.pk}@erased.invalid"


ENTRIES = (
    PersonalData(
        "accounts.user",
        model=User,
        user="pk",
        label="Account",
        fields={"email": _erased_email, "name": BLANK, "company": BLANK},
        context_fields=("id", "date_joined", "language"),
        identifier_fields=("email",),
    ),
    PersonalData(
        "account.emailaddress",
        model=EmailAddress,
        user="user",
        label="E-mail addresses",
        fields={"email": _erased_email},
        context_fields=("id", "verified", "primary"),
        identifier_fields=("email",),
        erase="delete",
    ),
    PersonalData(
        "socialaccount.socialaccount",
        model=SocialAccount,
        user="user",
        label="Social logins",
        fields={"uid": BLANK, "extra_data": EMPTY_JSON},
        context_fields=("id", "provider", "date_joined"),
        erase="delete",
    ),
)


def register() -> None:
    register_personal_data(*ENTRIES)
