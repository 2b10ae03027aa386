"""The blog's RSS feed (django.contrib.syndication), in the reader's language."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from apps.site import selectors
from apps.site.seo import absolute

FEED_LENGTH = 20


class LatestPostsFeed(Feed):
    def get_object(self, request):
        language = request.GET.get("lang", "")
        return language if language in ("ru", "en") else (translation.get_language() or "ru")[:2]

    def title(self, language):
        with translation.override(language):
            return _("Fast Lead blog")

    def link(self, language):
        return absolute(reverse("site:blog"))

    def description(self, language):
        with translation.override(language):
            return _("Notes on capturing and working leads, and on what is new in Fast Lead.")

    def items(self, language):
        return selectors.post_list_published(language=language)[:FEED_LENGTH]

    def item_title(self, post):
        return post.title

    def item_description(self, post):
        return post.summary

    def item_link(self, post):
        return absolute(reverse("site:post", kwargs={"slug": post.slug}))

    def item_pubdate(self, post):
        return post.published_at

    def item_updateddate(self, post):
        return post.updated_at

    def item_categories(self, post):
        return [post.category.name]
