"""Sign-up, confirmation, login limits and password hashing through the allauth web flow."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from apps.accounts.models import User
from apps.billing.models import Subscription
from apps.core.tasks import send_mail_task
from apps.tenants.models import Membership
from apps.tenants.roles import Role
from apps.tenants.signup import tenant_create_for_confirmed_signup
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _signup(client, email="new@example.com"):
    return client.post(
        reverse("account_signup"),
        {
            "name": "Анна Петрова",
            "company": "Ромашка",
            "email": email,
            "password1": PASSWORD,
        },
    )


def test_signup_requires_email_confirmation_before_login(client):
    response = _signup(client, "Anna@Example.com")
    assert response.status_code == 302
    user = User.objects.get()
    assert (user.email, user.name, user.company) == ("anna@example.com", "Анна Петрова", "Ромашка")
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    # not signed in until the address is confirmed
    assert client.get(reverse("web:home")).wsgi_request.user.is_authenticated is False


def test_a_mail_server_that_is_down_does_not_fail_the_signup(client, mail_server, monkeypatch):
    queued = []
    monkeypatch.setattr(send_mail_task, "delay", lambda *args: queued.append(args))

    response = _signup(client)

    assert response.status_code == 302
    assert User.objects.filter(email="new@example.com").exists()
    (subject, body, recipients, _html), *more = queued  # a worker sends it, retrying meanwhile
    assert recipients == ["new@example.com"] and "/accounts/confirm-email/" in body
    assert subject and not more


def test_confirmation_link_verifies_and_signs_in(client):
    _signup(client)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    path = link.split("8000", 1)[-1] if "8000" in link else re.sub(r"https?://[^/]+", "", link)
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="new@example.com").verified
    assert response.wsgi_request.user.is_authenticated


def test_confirming_the_signup_creates_the_company_once_and_asks_no_second_time(client):
    # given: a sign-up that named its company
    _signup(client)
    user = User.objects.get()
    assert not Membership.objects.unscoped().filter(user=user).exists()  # not before confirming
    link = re.search(r"/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    # when: the address is confirmed
    client.post(link)
    # then: the company exists with the user as administrator, on its trial
    membership = Membership.objects.unscoped().select_related("tenant").get(user=user)
    assert membership.tenant.name == "Ромашка" and membership.role == Role.ADMIN
    assert Subscription.objects.for_tenant(membership.tenant).get().plan.code == "trial"
    # and home goes to its overview, not to "create a company"
    home = client.get(reverse("web:home"))
    assert home.url == reverse("web:overview", args=[membership.tenant.slug])
    # confirming again (a second address, say) creates nothing more
    tenant_create_for_confirmed_signup(user)
    assert Membership.objects.unscoped().filter(user=user).count() == 1


def test_signup_with_a_taken_email_creates_nothing_and_reveals_nothing(client):
    # allauth prevents account enumeration: same answer as a new sign-up, and the owner of
    # the address gets an "account already exists" mail instead of a confirmation.
    UserFactory(email="taken@example.com")
    response = _signup(client, "TAKEN@example.com")
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert len(mail.outbox) == 1 and "confirm-email" not in mail.outbox[0].body


def test_login_is_blocked_after_five_failures_per_account(client):
    user = UserFactory(email="victim@example.com")
    url = reverse("account_login")
    for _ in range(5):
        response = client.post(url, {"login": user.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post(url, {"login": user.email, "password": PASSWORD})
    assert response.status_code == 200  # allauth re-renders the form with the error
    assert not response.wsgi_request.user.is_authenticated
    errors = " ".join(str(e) for e in response.context["form"].non_field_errors())
    assert errors  # "Too many failed login attempts" in the active language


def test_login_limit_is_per_account_and_ip(client):
    victim = UserFactory(email="victim@example.com")
    UserFactory(email="bystander@example.com")
    url = reverse("account_login")
    for _ in range(5):
        client.post(url, {"login": victim.email, "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    other_ip = client.post(
        url, {"login": victim.email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert other_ip.wsgi_request.user.is_authenticated
    client.logout()
    other_account = client.post(
        url, {"login": "bystander@example.com", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert other_account.wsgi_request.user.is_authenticated


def test_successful_login_with_a_verified_address(client):
    UserFactory(email="ok@example.com")
    response = client.post(
        reverse("account_login"), {"login": "OK@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.wsgi_request.user.is_authenticated


@pytest.mark.real_hashing
def test_passwords_are_hashed_with_bcrypt_cost_12():
    user = UserFactory()
    algorithm, rest = user.password.split("$", 1)
    assert algorithm == "bcrypt_sha256"
    assert rest.startswith("$2b$12$")
    assert user.check_password(PASSWORD)
