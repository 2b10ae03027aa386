"""Every write of HyroPage: pages from a brief, generations, edits (each a new version),
restore, publish, unpublish, and the view counter."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.ai.client import provider_adapter
from apps.core.errors import (
    ApplicationError,
    Conflict,
    LimitReached,
    ObjectNotFound,
    ValidationFailed,
)
from apps.hyropage import generation as gen
from apps.hyropage.allowance import allowance_get
from apps.hyropage.models import (
    Generation,
    GenerationStatus,
    HyroPage,
    PageStatus,
    PageVersion,
)
from apps.hyropage.runner import version_add as _version_add
from apps.hyropage.schema import PageContent
from apps.hyropage.tasks import generate_page_task
from apps.leads.selectors import lead_get
from apps.tenants.keys import publishable_key_get_or_create
from apps.tenants.models import Tenant


def _person(actor):
    """The user behind an action; an API key (or the system) is not a user row."""
    if actor is None or getattr(actor, "is_api_key", False):
        return None
    return actor if getattr(actor, "is_authenticated", False) else None


_TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ы": "y",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ъ": "",
    "ь": "",
}


def _latin(text: str) -> str:
    """Russian letters in Latin (a Russian product gives a readable address)."""
    return "".join(_TRANSLIT.get(ch, ch) if ch.islower() else ch for ch in text.lower())


def _unique_slug(tenant, wanted: str) -> str:
    words = _latin(wanted).replace("-", " ").split()[:6]
    base = (slugify(" ".join(words)) or "page")[:60].strip("-") or "page"
    slug = base
    while HyroPage.objects.for_tenant(tenant).filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(4, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    return slug


def page_create(
    *, tenant, actor, slug: str = "", lead_id=None, **brief
) -> tuple[HyroPage, Generation]:
    """A draft page from a brief, and its first generation (queued after commit). With
    `lead_id`: a personal page for that lead, at an unguessable address."""
    lead = _lead_of(tenant, lead_id)
    if lead is not None and not slug:
        slug = f"for-{get_random_string(16, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # one allowance at a time
        offline = _offline()
        _check_allowance(tenant, offline)
        page = HyroPage(tenant=tenant, created_by=_person(actor), lead=lead, **brief)
        page.slug = _slug_for(tenant, slug, brief.get("product", ""))
        try:
            with transaction.atomic():
                page.save(force_insert=True)
        except IntegrityError:
            raise ValidationFailed(
                _("This address is taken."), fields={"slug": [_("This address is taken.")]}
            ) from None
        generation = _generation_queue(page, offline)
    return page, generation


def _lead_of(tenant, lead_id):
    if lead_id in (None, ""):
        return None
    try:
        return lead_get(tenant, lead_id)
    except ObjectNotFound:
        message = _("No such lead.")
        raise ValidationFailed(message, fields={"lead_id": [message]}) from None


def _slug_for(tenant, slug: str, product: str) -> str:
    if slug:
        return slug
    return _unique_slug(tenant, product)


def page_regenerate(*, tenant, actor, page: HyroPage) -> Generation:
    """A new generation from the page's brief (the current content stays a version)."""
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        offline = _offline()
        _check_allowance(tenant, offline)
        if page.generations.filter(
            status__in=[GenerationStatus.PENDING, GenerationStatus.RUNNING]
        ).exists():
            raise Conflict(_("A generation for this page is already running."))
        return _generation_queue(page, offline)


def _offline() -> bool:
    return provider_adapter(gen.PROVIDER).offline


def _check_allowance(tenant, offline: bool) -> None:
    if offline:
        return  # the template generator costs nothing
    allowance = allowance_get(tenant)
    if allowance.left <= 0:
        raise LimitReached(
            _("Your plan's %(limit)s page generations this month are used up.")
            % {"limit": allowance.limit},
            code="quota_exceeded",
            status=402,
        )


def _generation_queue(page: HyroPage, offline: bool) -> Generation:
    generation = Generation.objects.create(
        tenant=page.tenant,
        page=page,
        model_requested=gen.model_chain()[0] if not offline else "offline",
        offline=offline,
    )
    transaction.on_commit(lambda: generate_page_task.delay(str(page.tenant_id), str(generation.pk)))
    return generation


def page_content_update(
    *, tenant, actor, page: HyroPage, content: dict, version: int | None = None
) -> HyroPage:
    """Save edited content as a new version (validated against the schema). `version`, when
    given, must be the page's current one: a stale editor answers 409."""
    parsed = _valid_content(content)
    with transaction.atomic():
        page = HyroPage.objects.for_tenant(tenant).select_for_update().get(pk=page.pk)
        if version is not None and version != page.version:
            raise Conflict(_("The page was changed elsewhere. Reload it and edit again."))
        if parsed == page.content:
            return page
        _version_add(page, parsed, note="edited", actor=_person(actor))
    return page


def _valid_content(content: dict) -> dict:
    try:
        return PageContent.model_validate(content).model_dump()
    except Exception as exc:  # pydantic.ValidationError: per-field messages below
        fields = _content_errors(exc)
        raise ValidationFailed(_("Some fields are invalid."), fields=fields) from None


def _content_errors(exc) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for item in getattr(exc, "errors", lambda **_: [])(include_input=False, include_url=False):
        where = ".".join(str(p) for p in item.get("loc", ())) or "content"
        fields.setdefault(where, []).append(_error_text(item))
    return fields or {"content": [_("Invalid content.")]}


def _error_text(item: dict) -> str:
    """pydantic's error in the interface's language (the common kinds; else its message)."""
    limit = (item.get("ctx") or {}).get("min_length") or (item.get("ctx") or {}).get("max_length")
    messages = {
        "too_short": _("Add at least %(n)s.") % {"n": limit},
        "too_long": _("Keep at most %(n)s.") % {"n": limit},
        "string_too_short": _("This field is required."),
        "string_too_long": _("At most %(n)s characters.") % {"n": limit},
        "missing": _("This field is required."),
    }
    return messages.get(item.get("type", ""), item.get("msg", "invalid"))


def version_restore(*, tenant, actor, page: HyroPage, number: int) -> HyroPage:
    """An older version's content becomes the newest version."""
    with transaction.atomic():
        page = HyroPage.objects.for_tenant(tenant).select_for_update().get(pk=page.pk)
        old = PageVersion.objects.for_tenant(tenant).filter(page=page, number=number).first()
        if old is None:
            raise ValidationFailed(
                _("No such version."), fields={"number": [_("No such version.")]}
            )
        _version_add(page, old.content, note=f"restored v{number}", actor=_person(actor))
    return page


def page_publish(*, tenant, actor, page: HyroPage) -> HyroPage:
    if not page.content:
        raise ApplicationError(
            _("The page has no content yet: wait for the generation to finish."),
            code="not_ready",
            status=409,
        )
    publishable_key_get_or_create(tenant)  # the page's widget needs the tenant's key
    page.status = PageStatus.PUBLISHED
    page.published_at = page.published_at or timezone.now()
    page.save(update_fields=["status", "published_at", "updated_at"])
    return page


def page_unpublish(*, tenant, actor, page: HyroPage) -> HyroPage:
    page.status = PageStatus.DRAFT
    page.save(update_fields=["status", "updated_at"])
    return page


def page_view_record(page: HyroPage) -> None:
    """One public view (a counter; bots that fetch the page count too)."""
    HyroPage.objects.unscoped().filter(pk=page.pk).update(views=F("views") + 1)
