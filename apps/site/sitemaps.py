"""sitemap.xml: the site's pages, use cases, blog categories, published posts and the
published HyroPage landing pages."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from apps.hyropage.public import public_path
from apps.hyropage.selectors import published_pages
from apps.site import selectors
from apps.site.content import USE_CASES
from apps.site.views import LEGAL_PAGES


class _SiteSitemap(Sitemap):
    protocol = None  # the URLs carry SITE_URL's scheme and host (see `get_urls`)

    def get_urls(self, page=1, site=None, protocol=None):
        return super().get_urls(page=page, site=_PublicSite(), protocol=_scheme())


class _PublicSite:
    """The site's public host from settings.SITE_URL (not the sites framework's row, which
    the embedded default leaves at example.com)."""

    @property
    def domain(self) -> str:
        return urlsplit(settings.SITE_URL).netloc


def _scheme() -> str:
    return urlsplit(settings.SITE_URL).scheme


class PagesSitemap(_SiteSitemap):
    changefreq = "weekly"

    def items(self):
        pages = [("site:landing", {}, 1.0), ("site:pricing", {}, 0.9), ("site:features", {}, 0.8)]
        pages += [("site:use_cases", {}, 0.7), ("site:blog", {}, 0.6)]
        pages += [("site:use_case", {"slug": case.slug}, 0.6) for case in USE_CASES]
        pages += [("site:legal", {"page": page}, 0.2) for page in LEGAL_PAGES]
        return pages

    def location(self, item):
        name, kwargs, _priority = item
        return reverse(name, kwargs=kwargs)

    def priority(self, item):
        return item[2]


class PostsSitemap(_SiteSitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return selectors.post_list_published().order_by("-published_at")

    def location(self, post):
        return reverse("site:post", kwargs={"slug": post.slug})

    def lastmod(self, post):
        return post.updated_at


class CategoriesSitemap(_SiteSitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self):
        return selectors.category_list_with_posts()

    def location(self, category):
        return reverse("site:blog_category", kwargs={"category_slug": category.slug})


class HyroPagesSitemap(_SiteSitemap):
    """Published HyroPage landing pages of every tenant (/p/{tenant}/{page}/)."""

    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return published_pages()

    def location(self, page):
        return public_path(page)

    def lastmod(self, page):
        return page.updated_at


SITEMAPS = {
    "pages": PagesSitemap,
    "posts": PostsSitemap,
    "categories": CategoriesSitemap,
    "hyropages": HyroPagesSitemap,
}
