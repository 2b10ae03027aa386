"""The one "not found" of selectors: ObjectNotFound answers exactly like Http404, and business
error handling never swallows it."""

from django.http import Http404

from apps.core.api import exception_handler
from apps.core.errors import ApplicationError, ObjectNotFound


def test_the_api_renders_object_not_found_like_http404(db):
    ours, django = exception_handler(ObjectNotFound(), {}), exception_handler(Http404(), {})
    assert (ours.status_code, ours.data) == (django.status_code, django.data)
    assert ours.data["error"]["code"] == "not_found"


def test_it_is_an_http404_and_not_a_business_error():
    assert isinstance(ObjectNotFound(), Http404)
    assert not isinstance(ObjectNotFound(), ApplicationError)
