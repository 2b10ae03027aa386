"""Dashboard safety nets: a business error never becomes a 500, HTMX never swaps a redirect."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from apps.core.errors import ApplicationError

_TEMPLATES = {403: "403.html", 404: "404.html"}


def application_error_response(request, error: ApplicationError) -> HttpResponse:
    """Render an ApplicationError that a view did not handle itself.

    HTMX requests get the plain message (static/js/app.js shows it as a notice and swaps
    nothing); pages get our error page with the message and the error's status.
    """
    status = error.status_code
    if getattr(request, "htmx", False):
        return HttpResponse(error.message, content_type="text/plain; charset=utf-8", status=status)
    template = _TEMPLATES.get(status, "error.html")
    return render(request, template, {"message": error.message, "status": status}, status=status)


class DashboardErrorMiddleware:
    """Turns ApplicationError raised by an HTML view into a page (or HTMX notice), and a
    redirect answering an HTMX request into HX-Redirect so that it is not swapped in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "htmx", False) and response.status_code in (301, 302, 303):
            return self._htmx_redirect(response)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError) or request.path.startswith("/api/"):
            return None
        return application_error_response(request, exception)

    @staticmethod
    def _htmx_redirect(response) -> HttpResponse:
        replacement = HttpResponse(status=200)
        location = response["Location"]
        if location.startswith(reverse(settings.LOGIN_URL)):
            # The session ended: reload the page, whose own redirect keeps the right ?next=.
            replacement["HX-Refresh"] = "true"
        else:
            replacement["HX-Redirect"] = location
        for cookie in response.cookies.values():
            replacement.cookies[cookie.key] = cookie
        return replacement
