"""/dev/mail/: the embedded default's mailbox (apps/core/devmail.py); 404 elsewhere."""

from csp.decorators import csp_update
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.core import devmail


def _enabled() -> None:
    if not settings.DEV_MAILBOX:
        raise Http404


def _mail(mail_id: str) -> devmail.Mail:
    mail = devmail.mail_get(mail_id)
    if mail is None:
        raise Http404
    return mail


@require_GET
def mail_list(request):
    _enabled()
    context = {"mails": devmail.mail_list(), "folder": devmail.mail_folder()}
    return render(request, "core/dev_mail_list.html", context)


@require_GET
def mail_detail(request, mail_id: str):
    _enabled()
    return render(request, "core/dev_mail_detail.html", {"mail": _mail(mail_id)})


@require_GET
@csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["https:", "data:"]})
def mail_html(request, mail_id: str):
    """The message's HTML part as its own page: links work as in a mail client (e-mails
    style themselves inline, which the site's policy otherwise forbids)."""
    _enabled()
    mail = _mail(mail_id)
    if not mail.html:
        raise Http404
    return HttpResponse(mail.html, content_type="text/html; charset=utf-8")
