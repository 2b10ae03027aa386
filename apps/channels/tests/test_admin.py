"""The staff console shows a channel's credentials masked, never the values."""

from apps.channels.models import Channel
from apps.tenants.scoping import tenant_scope
from tests.factories import UserFactory
from tests.staff import staff_login


def test_admin_list_and_change_page_mask_the_credentials(client, tenant):
    with tenant_scope(tenant):
        channel = Channel(tenant=tenant, kind="telegram", provider="telegram", name="Bot")
        channel.credentials = {"bot_token": "123:admin-secret-token-QRST"}
        channel.save()
    staff_login(client, UserFactory(is_staff=True, is_superuser=True))

    listing = client.get("/admin/channels/channel/")
    page = client.get(f"/admin/channels/channel/{channel.pk}/change/")

    assert listing.status_code == 200 and page.status_code == 200
    html = page.content.decode()
    assert "••••QRST" in html
    for text in (html, listing.content.decode()):
        assert "admin-secret-token" not in text and channel.credentials_encrypted not in text
