"""The anonymous landing page comes from a short cache per language: no queries and no
rendering on a repeat visit, each visitor still gets their own working CSRF token, and
signed-in visitors or ones with a message waiting get a fresh page."""

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client

from apps.site.page_cache import CSRF_PLACEHOLDER

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_a_repeat_anonymous_visit_reads_nothing_from_the_database(
    client, django_assert_max_num_queries
):
    first = client.get("/")
    with django_assert_max_num_queries(0):
        again = Client().get("/")
    assert again.status_code == 200
    assert "Все заявки с сайта в одном списке" in again.content.decode()
    assert abs(len(again.content) - len(first.content)) < 200  # the same page, other tokens


def test_each_visitor_gets_their_own_token_and_the_language_switch_works():
    Client().get("/")  # renders and stores the page
    visitor = Client(enforce_csrf_checks=True)
    response = visitor.get("/")
    html = response.content.decode()
    assert CSRF_PLACEHOLDER not in html
    [form_token] = set(TOKEN.findall(html))
    assert f'"X-CSRFToken": "{form_token}"' in html.replace("&quot;", '"')
    assert "csrftoken" in response.cookies
    other = set(TOKEN.findall(Client().get("/").content.decode()))
    assert other and form_token not in other

    switched = visitor.post(
        "/language/", {"language": "en", "next": "/", "csrfmiddlewaretoken": form_token}
    )

    assert switched.status_code == 302
    assert "Every lead from your site in one list" in visitor.get("/").content.decode()


def test_each_language_has_its_own_page():
    assert '<html lang="ru"' in Client().get("/").content.decode()
    english = Client().get("/?lang=en").content.decode()
    assert '<html lang="en"' in english and "Every lead from your site in one list" in english
    assert '<html lang="ru"' in Client().get("/").content.decode()


def test_signed_in_users_still_go_to_their_dashboard(admin_client_web):
    Client().get("/")
    assert admin_client_web.get("/").status_code == 302


def test_a_waiting_message_is_shown_on_a_fresh_page(client, rf):
    Client().get("/")
    # given a visitor with a flash message in the messages cookie
    request = rf.get("/")
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, "Вы вышли из аккаунта.")
    response = client.get("/")  # any response to carry the cookie out
    storage.update(response)
    client.cookies.update(response.cookies)

    html = client.get("/").content.decode()

    assert "Вы вышли из аккаунта." in html
