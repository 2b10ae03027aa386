"""Sweep entries of issue 21's staff console work: two-factor authentication (allauth.mfa:
TOTP and recovery codes), a signed-in person's own security pages, and the tenant admins'
log of staff access. Merged into `sweep_table.TABLE` at its end."""

from __future__ import annotations

from tests.security.sweep import NOT_FOUND
from tests.security.sweep_table import AD, U_PAGE, USER_PAGE, Entry, page

# Pages about an authenticator the sweep's people have not set up: allauth answers 404.
_SIGNED_IN = ("admin", "operator", "analyst", "outsider", "foreign_ids", "locked")
_NONE_YET = Entry(USER_PAGE, overrides={("*", caller): NOT_FOUND for caller in _SIGNED_IN})

ENTRIES = {
    "accounts/2fa/": U_PAGE,
    # The second step of a login; with none under way a signed-in person is sent on.
    "accounts/2fa/authenticate/": U_PAGE,
    "accounts/2fa/reauthenticate/": U_PAGE,
    "accounts/2fa/totp/activate/": U_PAGE,
    "accounts/2fa/totp/deactivate/": _NONE_YET,
    "accounts/2fa/recovery-codes/": _NONE_YET,
    "accounts/2fa/recovery-codes/generate/": U_PAGE,
    "accounts/2fa/recovery-codes/download/": _NONE_YET,
    "t/<slug:tenant_slug>/settings/staff-access/": page(ANY=AD),
}
