"""Profile, and allauth's pages and e-mails in our layout and in both languages."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from apps.accounts.models import User
from apps.tenants.selectors import memberships_for_user
from tests.factories import PASSWORD, UserFactory

SIGNUP = {
    "name": "Анна Петрова",
    "company": "Ромашка",
    "email": "anna@example.com",
    "password1": "a-long-Secret-42",
}


def confirmation_link(message) -> str:
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)


# --- Profile ------------------------------------------------------------------------------


def test_profile_page_renders_the_form(admin_client_web, admin_user):
    response = admin_client_web.get(reverse("accounts:profile"))

    body = response.content.decode()
    assert response.status_code == 200
    assert admin_user.email in body
    assert reverse("account_change_password") in body
    assert reverse("account_email") in body


def test_profile_saves_name_company_and_language(admin_client_web, admin_user):
    response = admin_client_web.post(
        reverse("accounts:profile"), {"name": "New Name", "company": "New Co", "language": "en"}
    )

    admin_user.refresh_from_db()
    assert response.status_code == 302
    assert (admin_user.name, admin_user.company, admin_user.language) == (
        "New Name",
        "New Co",
        "en",
    )
    assert response.cookies["django_language"].value == "en"
    page = admin_client_web.get(reverse("accounts:profile"))
    assert "Profile saved." in page.content.decode()


def test_profile_needs_login(client):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Sign-up, confirmation, login ---------------------------------------------------------


@pytest.mark.django_db
def test_signup_page_is_in_russian_with_our_fields(client):
    response = client.get(reverse("account_signup"))

    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ru"' in body
    assert "Создать аккаунт" in body
    for field in ("name", "company", "email", "password1"):
        assert f'name="{field}"' in body
    assert "Google" not in body


@pytest.mark.django_db
def test_signup_sends_a_russian_confirmation_and_the_post_confirms(client):
    # when a visitor signs up
    response = client.post(reverse("account_signup"), SIGNUP)

    # then they are asked to confirm by a Russian e-mail with a link
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    message = mail.outbox[0]
    assert message.subject == "Fast Lead: Подтвердите адрес электронной почты"
    assert "Здравствуйте, Анна Петрова!" in message.body
    assert "Команда Fast Lead" in message.body
    link = confirmation_link(message)

    # the link shows a page with a button (no confirmation on GET) ...
    page = client.get(link)
    assert page.status_code == 200
    assert "Подтвердить" in page.content.decode()
    assert User.objects.get(email="anna@example.com").emailaddress_set.get().verified is False

    # ... and the POST confirms, signs in and opens the company named at sign-up, where the
    # onboarding wizard of a new company starts
    confirmed = client.post(link, follow=True)
    slug = memberships_for_user(confirmed.wsgi_request.user).get().tenant.slug
    assert [url for url, _status in confirmed.redirect_chain][-3:] == [
        reverse("web:overview", args=[slug]),
        reverse("web:onboarding", args=[slug]),
        reverse("web:onboarding_step", args=[slug, "company"]),
    ]
    assert User.objects.get(email="anna@example.com").emailaddress_set.get().verified is True


@pytest.mark.django_db
def test_confirmation_email_is_english_for_an_english_visitor(client):
    client.post(reverse("web:set_language"), {"language": "en", "next": "/"})

    client.post(reverse("account_signup"), {**SIGNUP, "name": "Anna"})

    message = mail.outbox[0]
    assert message.subject == "Fast Lead: Confirm your e-mail address"
    assert "Hello, Anna!" in message.body
    assert User.objects.get(email="anna@example.com").language == "en"


@pytest.mark.django_db
def test_invalid_confirmation_link_has_a_clear_page(client):
    response = client.get(reverse("account_confirm_email", args=["nope"]))

    assert response.status_code == 200
    assert "Ссылка не работает" in response.content.decode()


@pytest.mark.django_db
def test_login_page_is_in_our_layout(client):
    response = client.get(reverse("account_login"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "auth-card" in body
    assert "css/app.css" in body
    assert reverse("account_reset_password") in body


@pytest.mark.django_db
def test_login_shows_the_too_many_attempts_error(client, settings):
    user = UserFactory()
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    body = response.content.decode()
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "alert-error" in body
    assert "Слишком много неудачных попыток входа" in body


@pytest.mark.django_db
def test_social_buttons_only_when_a_provider_is_configured(client, settings):
    assert "Google" not in client.get(reverse("account_login")).content.decode()

    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "id", "secret": "s", "key": ""}]}
    }
    body = client.get(reverse("account_login")).content.decode()

    assert "Продолжить с Google" in body
    assert "/accounts/google/login/" in body


# --- Password reset -----------------------------------------------------------------------


@pytest.mark.django_db
def test_password_reset_flow_in_russian(client):
    user = UserFactory(name="Борис")

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    message = mail.outbox[0]
    assert message.subject == "Fast Lead: Сброс пароля"
    assert "Здравствуйте, Борис!" in message.body
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+/", message.body).group(0)
    form_page = client.get(link, follow=True)
    assert "Задайте новый пароль" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": "Another-long-42", "password2": "Another-long-42"},
        follow=True,
    )
    assert "Пароль изменён" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("Another-long-42")


@pytest.mark.django_db
def test_password_reset_email_in_english(client):
    UserFactory(email="bob@example.com", name="Bob")
    client.post(reverse("web:set_language"), {"language": "en", "next": "/"})

    client.post(reverse("account_reset_password"), {"email": "bob@example.com"})

    assert mail.outbox[0].subject == "Fast Lead: Password reset"
    assert "Hello, Bob!" in mail.outbox[0].body


def test_allauth_manage_pages_use_the_dashboard_layout(admin_client_web):
    for name in ("account_change_password", "account_email"):
        response = admin_client_web.get(reverse(name))
        assert response.status_code == 200, name
        assert 'class="sidebar"' in response.content.decode(), name
