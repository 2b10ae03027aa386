"""Account services against the database, with a real request through allauth's pieces."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail

from apps.accounts import services
from apps.accounts.models import User
from apps.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(rf):
    """A POST request as the middleware would hand it to a view."""

    def make(ip="10.0.0.1", path="/api/v1/auth/login"):
        request = rf.post(path, REMOTE_ADDR=ip)
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        request.LANGUAGE_CODE = "en"
        return request

    return make


def _unverified_user(**kwargs):
    user = UserFactory(verified=False, **kwargs)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    return user


def _register(request, email="Anna@Example.com"):
    return services.user_register(
        request=request, email=email, password=PASSWORD, name=" Анна ", company=" Ромашка "
    )


def test_user_register_creates_user_unverified_address_and_mails_a_link(post):
    # when
    user = _register(post(path="/api/v1/auth/register"))
    # then
    assert (user.email, user.name, user.company, user.language) == (
        "anna@example.com",
        "Анна",
        "Ромашка",
        "en",
    )
    assert user.check_password(PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert address.primary and not address.verified
    assert len(mail.outbox) == 1
    assert re.search(r"/accounts/confirm-email/\S+/", mail.outbox[0].body)


def test_user_register_refuses_a_taken_email_case_insensitively(post):
    UserFactory(email="anna@example.com")
    with pytest.raises(Conflict) as err:
        _register(post(), email="ANNA@example.com")
    assert err.value.code == "email_taken"
    assert User.objects.count() == 1


def test_user_register_refuses_another_accounts_secondary_address(post):
    owner = UserFactory()
    EmailAddress.objects.create(user=owner, email="anna@example.com", verified=True)
    with pytest.raises(Conflict):
        _register(post())


def test_user_authenticate_returns_the_verified_user(post):
    user = UserFactory()
    assert services.user_authenticate(request=post(), email=user.email, password=PASSWORD) == user


def test_user_authenticate_rejects_a_wrong_password(post):
    user = UserFactory()
    with pytest.raises(ApplicationError) as err:
        services.user_authenticate(request=post(), email=user.email, password="nope")
    assert (err.value.code, err.value.status_code) == ("invalid_credentials", 401)


def test_user_authenticate_rejects_an_inactive_user(post):
    user = UserFactory(is_active=False)
    with pytest.raises(ApplicationError) as err:
        services.user_authenticate(request=post(), email=user.email, password=PASSWORD)
    assert (err.value.code, err.value.status_code) == ("account_inactive", 401)


def test_user_authenticate_refuses_an_unverified_email_and_resends_the_link(post):
    user = _unverified_user()
    with pytest.raises(PermissionDenied) as err:
        services.user_authenticate(request=post(), email=user.email, password=PASSWORD)
    assert err.value.code == "email_not_verified"
    assert len(mail.outbox) == 1


def test_user_authenticate_limits_failures_per_account_and_ip(post):
    user = UserFactory()
    for _ in range(5):
        with pytest.raises(ApplicationError):
            services.user_authenticate(request=post(), email=user.email, password="nope")
    with pytest.raises(ApplicationError) as err:
        services.user_authenticate(request=post(), email=user.email, password=PASSWORD)
    assert (err.value.code, err.value.status_code) == ("too_many_login_attempts", 429)
    # another IP is not blocked
    assert services.user_authenticate(
        request=post(ip="10.0.0.9"), email=user.email, password=PASSWORD
    )


def test_email_confirm_verifies_the_address_once(post):
    _register(post())
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", mail.outbox[0].body).group(1)
    address = services.email_confirm(request=post(), key=key)
    assert address.verified
    with pytest.raises(NotFound):
        services.email_confirm(request=post(), key=key)


def test_email_confirm_rejects_an_unknown_key(post):
    with pytest.raises(NotFound) as err:
        services.email_confirm(request=post(), key="garbage")
    assert err.value.code == "confirmation_invalid"


def test_email_confirmation_resend_is_refused_when_already_verified(post):
    with pytest.raises(Conflict):
        services.email_confirmation_resend(request=post(), user=UserFactory())
    services.email_confirmation_resend(request=post(), user=_unverified_user())
    assert len(mail.outbox) == 1


def test_user_ensure_email_verified():
    services.user_ensure_email_verified(UserFactory())
    with pytest.raises(PermissionDenied) as err:
        services.user_ensure_email_verified(_unverified_user())
    assert err.value.code == "email_not_verified"


def test_user_update_profile_saves_only_profile_fields():
    user = UserFactory(name="Old")
    services.user_update_profile(user=user, name=" Новое имя ", language="en")
    user.refresh_from_db()
    assert (user.name, user.language) == ("Новое имя", "en")
    with pytest.raises(ValueError):
        services.user_update_profile(user=user, email="x@example.com")
