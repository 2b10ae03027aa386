"""The blog: posts written by staff in Markdown (Django admin), grouped in categories."""

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel


class PostLanguage(models.TextChoices):
    RU = "ru", _("Russian")
    EN = "en", _("English")


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Category(TimeStampedModel):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("blog category")
        verbose_name_plural = _("blog categories")
        ordering = ["sort_order", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ru").startswith("en") else self.name_ru


class Post(TimeStampedModel):
    """A blog post. Public only when published and its publication time has come."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    language = models.CharField(
        _("language"), max_length=2, choices=PostLanguage.choices, default=PostLanguage.RU
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("category"),
    )
    summary = models.CharField(
        _("summary"), max_length=300, help_text=_("One or two sentences: the list and search.")
    )
    body = models.TextField(
        _("text (Markdown)"),
        help_text=_("Markdown. HTML tags outside the safe list (scripts, styles) are removed."),
    )
    author_name = models.CharField(_("author"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PostStatus.choices, default=PostStatus.DRAFT
    )
    published_at = models.DateTimeField(
        _("published at"), default=timezone.now, help_text=_("A future time schedules the post.")
    )

    class Meta:
        verbose_name = _("blog post")
        verbose_name_plural = _("blog posts")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "language", "-published_at"], name="post_public_idx")
        ]

    def __str__(self) -> str:
        return self.title
