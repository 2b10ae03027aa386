"""Refuse what no view can store: the NUL character in query parameters and form fields.

PostgreSQL cannot hold NUL in text, so a search `?q=x%00y` or a form field with one would
fail deep in a query with a 500. This middleware answers 400 first, naming each parameter,
in the API's error shape under /api/ and as an error page elsewhere. JSON bodies are checked
where they are parsed (DRF's CharField refuses NUL; the ingestion and widget schemas too).
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _

from apps.core.api import error_body
from apps.core.errors import ValidationFailed
from apps.core.pages import application_error_response

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def nul_fields(params) -> dict[str, list[str]]:
    """{name: [message]} for every parameter of a QueryDict whose name or values hold NUL."""
    message = _("Remove the NUL character (\\0): it cannot be stored.")
    return {
        name.replace("\x00", "\\0"): [message]
        for name, values in params.lists()
        if "\x00" in name or any("\x00" in value for value in values)
    }


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = nul_fields(request.GET)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            fields.update(nul_fields(request.POST))
        if fields:
            return self._refuse(request, fields)
        return self.get_response(request)

    @staticmethod
    def _refuse(request, fields):
        message = _("Some fields are invalid.")
        if request.path.startswith("/api/"):
            return JsonResponse(error_body("invalid", message, fields), status=400)
        return application_error_response(request, ValidationFailed(message, fields=fields))
