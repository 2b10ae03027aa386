"""Every public page renders in Russian and English with its SEO tags; robots.txt, sitemap."""

import json
import re
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from apps.site.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

PAGES = [
    ("site:landing", {}),
    ("site:pricing", {}),
    ("site:features", {}),
    ("site:use_cases", {}),
    ("site:use_case", {"slug": "clinics"}),
    ("site:use_case", {"slug": "real-estate"}),
    ("site:use_case", {"slug": "education"}),
    ("site:blog", {}),
    ("site:legal", {"page": "offer"}),
    ("site:legal", {"page": "privacy"}),
    ("site:legal", {"page": "consent"}),
]


def _meta(body: str, attr: str, name: str) -> str:
    match = re.search(rf'<meta {attr}="{re.escape(name)}" content="([^"]*)"', body)
    assert match, f"no {name} meta"
    return match.group(1)


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_page_renders_in_russian_with_title_description_canonical_and_open_graph(
    client, settings, name, kwargs
):
    settings.SITE_URL = "https://fastlead.example"
    path = reverse(name, kwargs=kwargs)

    response = client.get(path)

    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ru"' in body
    assert f'<link rel="canonical" href="https://fastlead.example{path}">' in body
    assert f'hreflang="en" href="https://fastlead.example{path}?lang=en"' in body
    assert _meta(body, "name", "description")
    assert _meta(body, "property", "og:title")
    assert _meta(body, "property", "og:url") == f"https://fastlead.example{path}"
    assert _meta(body, "property", "og:locale") == "ru_RU"
    assert _meta(body, "property", "og:image").startswith("https://fastlead.example/static/")
    assert "<main" in body and "<header" in body and "<footer" in body and "<nav" in body
    ld = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert json.loads(ld[0])["@type"] == "Organization"


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_page_renders_in_english_by_the_lang_parameter(client, settings, name, kwargs):
    settings.SITE_URL = "https://fastlead.example"
    path = reverse(name, kwargs=kwargs)

    body = client.get(f"{path}?lang=en").content.decode()

    assert '<html lang="en"' in body
    assert f'<link rel="canonical" href="https://fastlead.example{path}?lang=en">' in body
    assert _meta(body, "property", "og:locale") == "en_US"
    assert "Try for free" in body or "Pricing" in body


def test_landing_speaks_russian_and_english(client):
    russian = client.get("/").content.decode()
    english = client.get("/?lang=en").content.decode()

    assert "Все заявки с сайта в одном списке" in russian
    assert "Попробовать бесплатно" in russian
    assert "Every lead from your site in one list" in english
    for section in ('id="how"', 'id="pricing"', 'id="testimonials"', 'id="faq"', 'id="ai"'):
        assert section in russian
    # the testimonials block says plainly that it is a placeholder
    testimonials = russian[russian.index('id="testimonials"') :]
    assert "Заглушка" in testimonials[:800]


def test_the_english_cookie_is_honoured_without_the_parameter(client, english_ui):
    assert '<html lang="en"' in client.get(reverse("site:pricing")).content.decode()


def test_the_language_switch_returns_to_the_page_without_the_lang_parameter(client):
    body = client.get(f"{reverse('site:features')}?lang=en").content.decode()

    assert f'name="next" value="{reverse("site:features")}"' in body


def test_unknown_use_case_and_legal_page_are_not_found(client):
    assert client.get(reverse("site:use_case", kwargs={"slug": "nope"})).status_code == 404
    assert client.get(reverse("site:legal", kwargs={"page": "nope"})).status_code == 404


def test_legal_pages_are_marked_as_templates_for_the_operator(client):
    body = client.get(reverse("site:legal", kwargs={"page": "privacy"})).content.decode()

    assert "Шаблон" in body and "[полное наименование оператора]" in body


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_the_dashboard(client, settings):
    settings.SITE_URL = "https://fastlead.example"

    response = client.get("/robots.txt")

    text = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: https://fastlead.example/sitemap.xml" in text
    assert "Disallow: /t/" in text and "Disallow: /admin/" in text


def test_sitemap_lists_the_pages_and_published_posts_only(client, settings):
    settings.SITE_URL = "https://fastlead.example"
    published = PostFactory(slug="published-one")
    PostFactory(slug="draft-one", status="draft")

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    tree = ElementTree.fromstring(response.content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = {loc.text for loc in tree.findall("s:url/s:loc", ns)}
    base = "https://fastlead.example"
    for path in ["/", "/pricing/", "/features/", "/use-cases/clinics/", "/legal/offer/"]:
        assert base + path in urls
    assert f"{base}/blog/{published.slug}/" in urls
    assert f"{base}/blog/category/{published.category.slug}/" in urls
    assert f"{base}/blog/draft-one/" not in urls


def test_pages_carry_no_inline_scripts_or_styles(client):
    for name, kwargs in PAGES:
        body = client.get(reverse(name, kwargs=kwargs)).content.decode()
        assert "style=" not in body and "<style" not in body, name
        assert "<script>" not in body and " on" + "click=" not in body, name


def test_signed_in_users_go_from_the_landing_to_the_dashboard(admin_client_web):
    response = admin_client_web.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")


def test_public_pages_load_no_htmx(client):
    body = client.get("/").content.decode()

    assert "htmx" not in body.split("</head>")[0].replace("htmx-config", "")
