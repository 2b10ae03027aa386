"""The embedded default's mailbox: e-mails kept as files under var/mail/ and read at /dev/mail/
(linked from the "check your inbox" page); 404 wherever a real mail setup is in force."""

import re

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from apps.core import devmail

pytestmark = pytest.mark.django_db

SIGNUP = {"name": "Анна Петрова", "company": "Ромашка", "password1": "a-Long-pass-2026!"}


@pytest.fixture
def mailbox(settings, tmp_path):
    """The embedded default's mail setup, its folder in the test's temporary directory."""
    settings.DEV_MAILBOX = True
    settings.EMAIL_BACKEND = "apps.core.devmail.DevMailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


def test_a_sign_up_mail_is_kept_as_a_file_and_read_on_the_dev_mail_pages(
    client, mailbox, english_ui, capsys
):
    # when a newcomer signs up on the embedded default
    response = client.post(reverse("account_signup"), {**SIGNUP, "email": "anna@example.com"})
    # then the e-mail is a file under var/mail/, announced on the console with its page ...
    files = list(mailbox.glob("*.eml"))
    assert len(files) == 1
    mail_id = files[0].stem
    assert f"/dev/mail/{mail_id}/" in capsys.readouterr().out
    # ... and the "check your inbox" page links to the mailbox
    inbox_page = client.get(response.url)
    assert b"data-dev-mailbox" in inbox_page.content
    assert reverse("dev-mail").encode() in inbox_page.content
    # the mailbox lists it
    listing = client.get(reverse("dev-mail")).content.decode()
    assert "anna@example.com" in listing and f"/dev/mail/{mail_id}/" in listing
    # the message page shows the text with its confirmation link clickable
    page = client.get(reverse("dev-mail-detail", args=[mail_id])).content.decode()
    link = re.search(r'<a href="(https?://[^"]+/accounts/confirm-email/[^"]+)"', page)
    assert link is not None
    # and the HTML version is served as a page of its own, when the message has one
    message = devmail.mail_get(mail_id)
    html = client.get(reverse("dev-mail-html", args=[mail_id]))
    if message.html:
        assert html.status_code == 200 and "confirm-email" in html.content.decode()
    else:
        assert html.status_code == 404
    # the confirmation link works
    path = re.sub(r"https?://[^/]+", "", link.group(1))
    assert client.post(path).status_code == 302


def test_an_html_mail_shows_both_parts(client, mailbox):
    message = django_mail.EmailMultiAlternatives(
        "Hello", "Text: https://example.com/a", "from@example.com", ["to@example.com"]
    )
    message.attach_alternative(
        '<p style="color:red"><a href="https://example.com/b">b</a></p>', "text/html"
    )
    message.send()
    (mail,) = devmail.mail_list()
    page = client.get(reverse("dev-mail-detail", args=[mail.id])).content.decode()
    assert '<a href="https://example.com/a"' in page and "data-dev-mail-html" in page
    html = client.get(reverse("dev-mail-html", args=[mail.id]))
    assert html.status_code == 200 and b'href="https://example.com/b"' in html.content
    assert "'unsafe-inline'" in html["Content-Security-Policy"].split("style-src")[1]


def test_the_mailbox_is_404_with_a_real_mail_setup(client, settings, mailbox, english_ui):
    devmail.DevMailBackend().send_messages(
        [django_mail.EmailMessage("Hi", "Body", "from@example.com", ["to@example.com"])]
    )
    (mail,) = devmail.mail_list()
    settings.DEV_MAILBOX = False
    for url in (
        reverse("dev-mail"),
        reverse("dev-mail-detail", args=[mail.id]),
        reverse("dev-mail-html", args=[mail.id]),
    ):
        assert client.get(url).status_code == 404
    # and the "check your inbox" page does not point to it
    response = client.post(reverse("account_signup"), {**SIGNUP, "email": "bob@example.com"})
    assert b"data-dev-mailbox" not in client.get(response.url).content


def test_unknown_or_malformed_ids_are_404(client, mailbox):
    assert (
        client.get(reverse("dev-mail-detail", args=["20260101T000000000000-deadbeef"])).status_code
        == 404
    )
    assert client.get("/dev/mail/..%2F..%2Fetc%2Fpasswd/").status_code == 404
    assert client.get(reverse("dev-mail")).status_code == 200
