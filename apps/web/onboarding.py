"""The onboarding wizard: steps, progress (resumable, each step skippable) and its gate.

New companies get a progress row when they are created (a TenantCreated subscriber), so the
wizard is on by default for them; staff switch it off for everyone with the waffle flag
`onboarding_wizard` (Everyone = No), or on for every company (Everyone = Yes: existing
companies get a row on their next visit).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from waffle import get_waffle_flag_model

from apps.core.events import subscribe
from apps.core.tasks import send_mail_task
from apps.features.flags import flag_active
from apps.tenants.events import TenantCreated
from apps.web.models import OnboardingProgress

FLAG = "onboarding_wizard"
STEPS = (
    ("company", _("Company")),
    ("widget", _("Widget")),
    ("channel", _("Channel")),
    ("calendar", _("Calendar")),
    ("snippet", _("Code for your site")),
    ("test", _("First lead")),
)
STEP_KEYS = tuple(key for key, _label in STEPS)
SKIPPABLE = set(STEP_KEYS)


def progress_create_on_tenant_created(event: TenantCreated) -> None:
    OnboardingProgress.objects.unscoped().get_or_create(tenant_id=event.tenant_id)


def register() -> None:
    subscribe(TenantCreated, progress_create_on_tenant_created, in_transaction=True)


def progress_get(tenant, *, create: bool = False) -> OnboardingProgress | None:
    progress = OnboardingProgress.objects.for_tenant(tenant).first()
    if progress is None and create:
        try:
            with transaction.atomic():
                progress = OnboardingProgress.objects.create(tenant=tenant)
        except IntegrityError:
            progress = OnboardingProgress.objects.for_tenant(tenant).get()
    return progress


def wizard_progress(request) -> OnboardingProgress | None:
    """The tenant's progress if the wizard applies to it (see the module's docstring)."""
    flag = get_waffle_flag_model().get(FLAG)
    if flag.pk and flag.everyone is False:
        return None
    return progress_get(request.tenant, create=flag_active(request, FLAG))


def next_step(progress: OnboardingProgress) -> str | None:
    handled = set(progress.done) | set(progress.skipped)
    return next((key for key in STEP_KEYS if key not in handled), None)


@transaction.atomic
def progress_mark(progress: OnboardingProgress, step: str, *, skipped: bool = False) -> str | None:
    """Record `step` as done (or skipped), move on; returns the next step (None: finished)."""
    progress = OnboardingProgress.objects.select_for_update().get(pk=progress.pk)
    bucket, other = (
        (progress.skipped, progress.done) if skipped else (progress.done, progress.skipped)
    )
    if step not in bucket:
        bucket.append(step)
    if step in other:
        other.remove(step)
    upcoming = next_step(progress)
    progress.step = upcoming or "finished"
    if upcoming is None and progress.finished_at is None:
        progress.finished_at = timezone.now()
    progress.save()
    return upcoming


def progress_finish(progress: OnboardingProgress) -> None:
    OnboardingProgress.objects.filter(pk=progress.pk, finished_at__isnull=True).update(
        finished_at=timezone.now(), step="finished"
    )


def tour_seen(progress: OnboardingProgress) -> None:
    OnboardingProgress.objects.filter(pk=progress.pk).update(tour_seen=True)


def snippet_email_send(*, tenant, actor, to: str, snippet: str) -> None:
    """E-mail the widget's code to the developer who will install it: a worker sends it after
    commit (a mail server that is down is retried there, not an error on the page)."""
    subject = _("The Fast Lead widget code for %(company)s") % {"company": tenant.name}
    body = _(
        "%(who)s asks you to add the Fast Lead form to the site of %(company)s.\n\n"
        "Paste this line before the closing </body> tag on every page where the form "
        "should appear:\n\n%(snippet)s\n"
    ) % {"who": actor.get_full_name() or actor.email, "company": tenant.name, "snippet": snippet}
    subject, body = str(subject), str(body)
    transaction.on_commit(lambda: send_mail_task.delay(subject, body, [to]))
