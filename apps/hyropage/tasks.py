"""Celery entry point of HyroPage (the `ai` queue): one page generation."""

from __future__ import annotations

from apps.hyropage.runner import generation_run
from apps.tenants.tasking import tenant_task


@tenant_task(acks_late=True, ignore_result=True, time_limit=600)
def generate_page_task(tenant, generation_id: str) -> str:
    """Generate one page. Idempotent: the generation is claimed first (pending -> running)."""
    generation = generation_run(tenant, generation_id)
    return generation.status if generation is not None else "skipped"
