"""The blog: Markdown sanitized, drafts and scheduled posts private, categories, reading
time, the RSS feed."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.site.markup import reading_minutes, render_markdown
from apps.site.tests.factories import CategoryFactory, PostFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_markdown_is_rendered_and_scripts_and_handlers_are_stripped():
    html = render_markdown(
        "# Title\n\n**bold** <script>alert(1)</script>\n\n"
        '<img src="x.png" onerror="alert(2)" alt="pic">\n\n'
        "[click](javascript:alert(3)) [ok](https://example.com)\n\n<style>body{}</style>"
    )

    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "alert(1)" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
    assert "<style" not in html
    assert '<a href="https://example.com" rel="noopener noreferrer">ok</a>' in html
    assert '<img src="x.png" alt="pic">' in html


def test_reading_time_counts_words():
    assert reading_minutes("слово " * 10) == 1
    assert reading_minutes("word " * 361) == 3


def test_post_page_shows_sanitized_html_and_reading_time(client):
    post = PostFactory(body="Hello **world** <script>alert('x')</script> " + "word " * 400)

    body = client.get(reverse("site:post", kwargs={"slug": post.slug})).content.decode()

    assert "<strong>world</strong>" in body
    assert "alert(&#x27;x&#x27;)" not in body and "<script>alert" not in body
    assert "3 мин" in body
    assert 'property="og:type" content="article"' in body
    assert '"@type":"BlogPosting"' in body


def test_drafts_and_scheduled_posts_are_not_found(client):
    draft = PostFactory(status="draft")
    scheduled = PostFactory(published_at=timezone.now() + timedelta(days=1))

    for post in (draft, scheduled):
        assert client.get(reverse("site:post", kwargs={"slug": post.slug})).status_code == 404
    listing = client.get(reverse("site:blog")).content.decode()
    assert draft.title not in listing and scheduled.title not in listing


def test_staff_preview_a_draft_marked_noindex(client):
    draft = PostFactory(status="draft")
    client.force_login(UserFactory(is_staff=True))

    body = client.get(reverse("site:post", kwargs={"slug": draft.slug})).content.decode()

    assert draft.title in body
    assert '<meta name="robots" content="noindex">' in body


def test_blog_lists_posts_of_the_reader_language_and_filters_by_category(client):
    guides = CategoryFactory(slug="guides")
    news = CategoryFactory(slug="news", name_ru="Новости", name_en="News")
    guide = PostFactory(category=guides, title="Как начать")
    note = PostFactory(category=news, title="Что нового")
    english = PostFactory(category=guides, language="en", title="Getting started")

    everything = client.get(reverse("site:blog")).content.decode()
    only_news = client.get(reverse("site:blog_category", args=["news"])).content.decode()
    in_english = client.get(reverse("site:blog") + "?lang=en").content.decode()

    assert guide.title in everything and note.title in everything
    assert english.title not in everything
    assert note.title in only_news and guide.title not in only_news
    assert english.title in in_english and guide.title not in in_english
    assert client.get(reverse("site:blog_category", args=["nope"])).status_code == 404


def test_rss_feed_is_valid_and_lists_published_posts(client, settings):
    settings.SITE_URL = "https://fastlead.example"
    post = PostFactory(title="Первая заметка")
    PostFactory(title="Черновик", status="draft")

    response = client.get(reverse("site:blog_feed"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ElementTree.fromstring(response.content).find("channel")
    assert channel.findtext("link") == "https://fastlead.example/blog/"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Первая заметка"]
    assert items[0].findtext("link") == f"https://fastlead.example/blog/{post.slug}/"
    assert items[0].findtext("category") == post.category.name_ru
