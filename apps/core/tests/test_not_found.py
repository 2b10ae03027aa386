"""The one "not found": a bare NotFound from a scoped getter answers exactly like Http404."""

from django.http import Http404
from django.test import RequestFactory

from apps.core.api import exception_handler
from apps.core.errors import NotFound
from apps.core.pages import DashboardErrorMiddleware


def test_the_api_renders_a_bare_not_found_like_http404(db):
    ours, django = exception_handler(NotFound(), {}), exception_handler(Http404(), {})
    assert (ours.status_code, ours.data) == (django.status_code, django.data)
    assert ours.data["error"]["code"] == "not_found"


def test_pages_leave_a_bare_not_found_to_django_and_render_a_messaged_one(db):
    middleware = DashboardErrorMiddleware(lambda request: None)
    request = RequestFactory().get("/t/acme/leads/1/")
    assert isinstance(NotFound(), Http404)  # Django's own 404 handling takes it
    assert middleware.process_exception(request, NotFound()) is None
    response = middleware.process_exception(request, NotFound("This link has expired."))
    assert response.status_code == 404 and "This link has expired." in response.content.decode()
