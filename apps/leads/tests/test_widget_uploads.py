"""Widget images: checked by content with Pillow, resized, stored through the `widget_assets`
storage (local files by default, S3 through django-storages against moto's local S3 server),
the 100 MB quota, replacement freeing the old file, the page and the public file route."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.core.errors import LimitReached, ValidationFailed
from apps.leads.models import WidgetAsset, WidgetConfig
from apps.leads.widget_assets import asset_storage
from apps.leads.widget_config import public_config
from apps.leads.widget_uploads import asset_bytes_used, widget_image_upload
from tests.s3 import local_s3


def picture(width=1200, height=800, fmt="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def local_assets(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "widget_assets": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": "/api/public/v1/widget-assets/"},
        },
    }
    cache.clear()
    return tmp_path


def test_a_photo_becomes_a_square_png_avatar_in_the_public_form(
    tenant, admin_user, local_assets, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        asset = widget_image_upload(tenant, actor=admin_user, kind="avatar", data=picture())
    stored = Image.open(local_assets / asset.name)
    assert stored.format == "PNG" and stored.size == (256, 256)
    assert asset.size == (local_assets / asset.name).stat().st_size
    config = WidgetConfig.objects.unscoped().get(tenant=tenant)
    assert config.avatar == asset.name and config.version == 2
    assert public_config(str(tenant.pk), "Acme", "en")["avatar_url"].endswith(asset.name)


def test_a_logo_keeps_its_proportions(tenant, admin_user, local_assets):
    asset = widget_image_upload(
        tenant, actor=admin_user, kind="logo", data=picture(2000, 400, "PNG")
    )
    assert Image.open(local_assets / asset.name).size == (480, 96)


@pytest.mark.parametrize(
    "data",
    [b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", b"GIF89a not really", b"%PDF-1.4"],
)
def test_files_that_are_not_images_are_refused_and_nothing_is_stored(
    tenant, admin_user, local_assets, data
):
    with pytest.raises(ValidationFailed) as error:
        widget_image_upload(tenant, actor=admin_user, kind="logo", data=data)
    assert "image" in error.value.fields
    assert not WidgetAsset.objects.unscoped().exists() and not any(local_assets.iterdir())


def test_the_quota_counts_stored_bytes_and_a_replacement_frees_the_old_file(
    tenant, admin_user, local_assets, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = widget_image_upload(tenant, actor=admin_user, kind="logo", data=picture())
    with django_capture_on_commit_callbacks(execute=True):
        second = widget_image_upload(tenant, actor=admin_user, kind="logo", data=picture(900))
    assert not (local_assets / first.name).exists() and (local_assets / second.name).exists()
    assert asset_bytes_used(tenant) == second.size
    settings.WIDGET_UPLOAD_QUOTA_BYTES = second.size + 10
    with pytest.raises(LimitReached) as error:
        widget_image_upload(tenant, actor=admin_user, kind="avatar", data=picture())
    assert error.value.code == "upload_quota_exceeded"
    assert list(WidgetAsset.objects.unscoped().values_list("kind", flat=True)) == ["logo"]
    assert len(list(local_assets.rglob("*.png"))) == 1


def test_page_upload_and_public_file(admin_client_web, client, tenant, local_assets, english_ui):
    upload = SimpleUploadedFile("me.jpg", picture(), content_type="image/jpeg")
    response = admin_client_web.post(f"/t/{tenant.slug}/widget/images/avatar/", {"image": upload})
    assert response.status_code == 302
    name = WidgetConfig.objects.unscoped().get(tenant=tenant).avatar
    page = admin_client_web.get(f"/t/{tenant.slug}/widget/").content.decode()
    assert name in page and "MB used" in page
    served = client.get(f"/api/public/v1/widget-assets/{name}")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert client.get("/api/public/v1/widget-assets/../../etc/passwd.png").status_code == 404
    fake = SimpleUploadedFile("x.png", b"not a picture", content_type="image/png")
    refused = admin_client_web.post(f"/t/{tenant.slug}/widget/images/logo/", {"image": fake})
    assert refused.status_code == 302
    assert "not an image" in admin_client_web.get(f"/t/{tenant.slug}/widget/").content.decode()


def test_uploads_are_for_admins(operator_client_web, tenant, local_assets):
    upload = SimpleUploadedFile("me.jpg", picture(), content_type="image/jpeg")
    page = f"/t/{tenant.slug}/widget/images/logo/"
    assert operator_client_web.post(page, {"image": upload}).status_code == 403


def test_uploads_to_another_tenant_are_not_found(admin_client_web, other_tenant, local_assets):
    upload = SimpleUploadedFile("me.jpg", picture(), content_type="image/jpeg")
    page = f"/t/{other_tenant.slug}/widget/images/logo/"
    assert admin_client_web.post(page, {"image": upload}).status_code == 404


# --- S3 through django-storages, against moto's S3 server -------------------------------------


@pytest.fixture
def s3_assets(settings, monkeypatch):
    with local_s3(monkeypatch, "widget-assets") as (s3, endpoint):
        settings.STORAGES = {
            **settings.STORAGES,
            "widget_assets": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "widget-assets",
                    "endpoint_url": endpoint,
                    "region_name": "us-east-1",
                    "querystring_auth": False,
                    "file_overwrite": False,
                },
            },
        }
        cache.clear()
        yield s3, endpoint


def test_images_go_to_s3_compatible_storage(tenant, admin_user, s3_assets):
    s3, endpoint = s3_assets
    asset = widget_image_upload(tenant, actor=admin_user, kind="logo", data=picture())
    stored = s3.get_object(Bucket="widget-assets", Key=asset.name)
    assert Image.open(io.BytesIO(stored["Body"].read())).format == "PNG"
    url = public_config(str(tenant.pk), "Acme", "en")["logo_url"]
    assert url == f"{endpoint}/widget-assets/{asset.name}"
    assert asset_storage().exists(asset.name)
