"""The "Channels" page: list with masked keys, connect per provider, test, toggle, delete."""

import smtplib
import socketserver
import threading

import pytest

from apps.channels.models import Channel, ChannelStatus
from apps.channels.providers.base import ProviderError
from apps.channels.providers.smtp import SmtpAdapter
from apps.tenants.scoping import tenant_scope
from conftest import closed_port
from tests.factories import TenantFactory

HX = {"HTTP_HX_REQUEST": "true"}


def _url(tenant, *rest):
    return "/".join([f"/t/{tenant.slug}/channels", *map(str, rest)]) + "/"


def _smtp_form(port, password="mail-password-4321"):
    return {
        "provider": "smtp",
        "smtp-name": "Sales mail",
        "smtp-cred_username": "sales@acme.test",
        "smtp-cred_password": password,
        "smtp-set_host": "127.0.0.1",
        "smtp-set_port": str(port),
        "smtp-set_from_email": "sales@acme.test",
        "smtp-set_security": "none",
    }


class _RefusingSMTP(socketserver.StreamRequestHandler):
    """An SMTP server that speaks the protocol (RFC 5321/4954) and refuses every login."""

    def handle(self):
        self.wfile.write(b"220 fake ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-fake\r\n250 AUTH PLAIN LOGIN\r\n")
            elif verb == b"AUTH":
                self.wfile.write(b"535 5.7.8 Authentication credentials invalid\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def refusing_smtp():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RefusingSMTP)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_page_lists_channels_masked_and_is_in_the_sidebar(admin_client_web, on_start):
    with tenant_scope(on_start):
        channel = Channel(tenant=on_start, kind="telegram", provider="telegram", name="Bot")
        channel.credentials = {"bot_token": "123:secret-token-WXYZ"}
        channel.save()

    html = admin_client_web.get(_url(on_start)).content.decode()

    assert "••••WXYZ" in html and "secret-token" not in html
    assert f'href="/t/{on_start.slug}/channels/"' in html
    assert "Каналы" in html


def test_operators_do_not_get_the_page(operator_client_web, on_start):
    assert operator_client_web.get(_url(on_start)).status_code == 403


def test_connect_smtp_with_wrong_login_shows_the_servers_words(
    admin_client_web, on_start, refusing_smtp
):
    response = admin_client_web.post(_url(on_start, "new"), _smtp_form(refusing_smtp), **HX)

    assert response.status_code == 200
    with tenant_scope(on_start):
        channel = Channel.objects.get()
    assert channel.status == ChannelStatus.ERROR
    assert "Authentication credentials invalid" in channel.last_error
    html = response.content.decode()
    assert "Authentication credentials invalid" in html and "mail-password-4321" not in html


def test_connect_names_a_missing_field(admin_client_web, on_start):
    form = _smtp_form(25)
    del form["smtp-set_host"]

    response = admin_client_web.post(_url(on_start, "new"), form, **HX)

    assert response.status_code == 400
    with tenant_scope(on_start):
        assert not Channel.objects.exists()
    assert "field-error" in response.content.decode()


def test_test_toggle_and_delete(admin_client_web, on_start):
    admin_client_web.post(_url(on_start, "new"), _smtp_form(closed_port()), **HX)
    with tenant_scope(on_start):
        channel = Channel.objects.get()

    row = admin_client_web.post(_url(on_start, channel.pk, "test"), **HX)
    assert row.status_code == 200 and f'id="channel-{channel.pk}"' in row.content.decode()
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ERROR and channel.last_tested_at

    admin_client_web.post(_url(on_start, channel.pk, "toggle"), **HX)
    channel.refresh_from_db()
    assert channel.enabled is False

    admin_client_web.post(_url(on_start, channel.pk, "delete"), **HX)
    with tenant_scope(on_start):
        assert not Channel.objects.exists()


def test_smtp_adapter_refused_login_is_unauthorized(refusing_smtp):
    adapter = SmtpAdapter(
        credentials={"username": "u", "password": "p"},
        settings={
            "host": "127.0.0.1",
            "port": str(refusing_smtp),
            "from_email": "a@b.test",
            "security": "none",
        },
    )
    with pytest.raises(ProviderError) as error:
        adapter.verify_credentials()
    assert error.value.unauthorized
    assert smtplib  # the stdlib client the backend uses


def _edit_form(channel, **values):
    prefix = f"edit{channel.pk}-"
    form = {
        prefix + "name": channel.name,
        **{prefix + "set_" + k: v for k, v in channel.settings.items() if k != "account"},
    }
    form.update({prefix + k: v for k, v in values.items()})
    return form


def test_edit_renames_changes_a_setting_and_keeps_the_stored_password(admin_client_web, on_start):
    admin_client_web.post(_url(on_start, "new"), _smtp_form(closed_port()), **HX)
    with tenant_scope(on_start):
        channel = Channel.objects.get()
    page = admin_client_web.get(_url(on_start)).content.decode()
    assert f'name="edit{channel.pk}-set_host" value="127.0.0.1"' in page
    assert "mail-password-4321" not in page  # a stored key is never sent back

    response = admin_client_web.post(
        _url(on_start, channel.pk, "edit"),
        _edit_form(channel, name="Support mail", set_from_email="help@acme.test", cred_password=""),
        **HX,
    )

    assert response.status_code == 200
    assert "Канал «Support mail» сохранён." in response.content.decode()
    channel.refresh_from_db()
    assert channel.name == "Support mail"
    assert channel.settings["from_email"] == "help@acme.test"
    assert channel.credentials["password"] == "mail-password-4321"
    assert channel.last_tested_at  # tested again with the new settings


def test_edit_replaces_a_key_and_names_a_missing_setting(admin_client_web, on_start):
    admin_client_web.post(_url(on_start, "new"), _smtp_form(closed_port()), **HX)
    with tenant_scope(on_start):
        channel = Channel.objects.get()

    bad = admin_client_web.post(
        _url(on_start, channel.pk, "edit"),
        _edit_form(channel, set_host="", cred_password="new-password-9876"),
        **HX,
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "field-error" in html and '<details class="small channel-edit" open>' in html
    channel.refresh_from_db()
    assert channel.settings["host"] == "127.0.0.1"
    assert channel.credentials["password"] == "mail-password-4321"  # nothing half-saved

    fixed = _edit_form(channel, cred_password="new-password-9876")
    admin_client_web.post(_url(on_start, channel.pk, "edit"), fixed, **HX)
    channel.refresh_from_db()
    assert channel.credentials["password"] == "new-password-9876"


def test_edit_of_another_tenants_channel_is_404(admin_client_web, on_start):
    other = TenantFactory()
    with tenant_scope(other):
        channel = Channel(tenant=other, kind="telegram", provider="telegram", name="Theirs")
        channel.credentials = {"bot_token": "1:x"}
        channel.save()

    response = admin_client_web.post(_url(on_start, channel.pk, "edit"), {}, **HX)

    assert response.status_code == 404
