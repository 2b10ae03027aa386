"""Staff console of the blog: posts in Markdown with a rendered preview, categories."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from apps.site.markup import reading_minutes, render_markdown
from apps.site.models import Category, Post


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name_ru", "name_en", "slug", "sort_order"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "category", "status", "published_at", "reading_time"]
    list_filter = ["status", "language", "category"]
    search_fields = ["title", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    readonly_fields = ["preview", "view_on_site_link"]
    fields = [
        "title",
        "slug",
        "language",
        "category",
        "summary",
        "body",
        "author_name",
        "status",
        "published_at",
        "view_on_site_link",
        "preview",
    ]

    @admin.display(description=_("reading time, min"))
    def reading_time(self, post: Post) -> int:
        return reading_minutes(post.body)

    @admin.display(description=_("preview (as published, sanitized)"))
    def preview(self, post: Post) -> str:
        if not post.pk:
            return "—"
        return mark_safe(render_markdown(post.body))  # noqa: S308 (nh3 sanitized it)

    @admin.display(description=_("on the site"))
    def view_on_site_link(self, post: Post) -> str:
        if not post.pk:
            return "—"
        url = reverse("site:post", kwargs={"slug": post.slug})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)
