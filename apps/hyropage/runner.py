"""Running one generation: claim it, call the model outside any transaction, store the page
content as a new version (or the failure and its reason)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.ai.providers.base import ProviderError
from apps.features.guards import feature_enabled
from apps.hyropage import generation as gen
from apps.hyropage.brief import Brief
from apps.hyropage.models import Generation, GenerationStatus, HyroPage, PageVersion

TOOL = "hyropage"


def generation_run(tenant, generation_id) -> Generation | None:
    """Claim a pending generation, call the model (outside a transaction), store the result."""
    claimed = Generation.objects.for_tenant(tenant).filter(
        pk=generation_id, status=GenerationStatus.PENDING
    )
    if not claimed.update(status=GenerationStatus.RUNNING):
        return None  # done already, or another worker has it
    generation = (
        Generation.objects.for_tenant(tenant)
        .select_related("page", "page__lead")
        .get(pk=generation_id)
    )
    if not feature_enabled(tenant, TOOL):  # the plan changed while it waited in the queue
        failure = ProviderError(
            "HyroPage is not in the plan.", permanent=True, code="feature_locked"
        )
        return _generation_finish(generation, gen.Outcome(content=None, error=failure))
    page = generation.page
    brief = Brief.of_page(page, company=tenant.name)
    outcome = gen.generate(brief, tenant_id=generation.tenant_id)
    return _generation_finish(generation, outcome)


def _generation_finish(generation: Generation, outcome: gen.Outcome) -> Generation:
    generation.model_used = outcome.model_used
    generation.offline = outcome.offline
    generation.models_tried = outcome.models_tried
    generation.usage_ids = [i for i in outcome.usage_ids if i]
    generation.finished_at = timezone.now()
    with transaction.atomic():
        if outcome.content is None:
            generation.status = GenerationStatus.FAILED
            error = outcome.error
            generation.error_code = getattr(error, "code", "") or "failed"
            generation.error_message = (getattr(error, "message", "") or "")[:500]
        else:
            generation.status = GenerationStatus.DONE
            page = (
                HyroPage.objects.for_tenant(generation.tenant_id)
                .select_for_update()
                .get(pk=generation.page_id)
            )
            label = "offline" if outcome.offline else outcome.model_used
            version_add(page, outcome.content.model_dump(), note=f"generated: {label}"[:100])
        generation.save()
    return generation


def version_add(page: HyroPage, content: dict, *, note: str, actor=None) -> PageVersion:
    page.version += 1
    page.content = content
    page.save(update_fields=["version", "content", "updated_at"])
    return PageVersion.objects.create(
        tenant_id=page.tenant_id,
        page=page,
        number=page.version,
        content=content,
        note=note,
        created_by=actor,
    )
