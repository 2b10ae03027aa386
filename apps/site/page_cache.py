"""The anonymous public page, rendered once per language and path for a short time.

The landing page is what every visitor's first click costs; under load its catalogue reads,
claim checks and template rendering made it slow (issue 17: p95 2.17 s against 2 s). A
visitor without a session gets the stored HTML, so the page's cost no longer depends on how
busy the machine is.

Nothing per visitor is stored: the page is rendered with a placeholder where the CSRF token
goes (the language switch is a form, and `hx-headers` carries it), and each response gets the
visitor's own token put in its place (`get_token`, which also sets the CSRF cookie). Signed-in
visitors, visitors with a flash message waiting and anything but GET/HEAD are rendered as
before. With the cache down the page is simply rendered each time.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

SECONDS = 60
CSRF_PLACEHOLDER = "fastleadcsrfplaceholder0000"  # survives HTML escaping unchanged
_KEY = "site:page:1:{language}:{path}"
_ATTR = "_site_page_cache_render"


def _cacheable(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if request.user.is_authenticated:
        return False
    return len(get_messages(request)) == 0  # counting does not consume them


def csrf_context(request) -> dict:
    """For the view's template: the placeholder instead of a token while rendering for the
    cache (`{% csrf_token %}` and `{{ csrf_token }}` read the context's `csrf_token`)."""
    return {"csrf_token": CSRF_PLACEHOLDER} if getattr(request, _ATTR, False) else {}


def anonymous_page_cache(view):
    """Serve the view's 200 page to anonymous visitors from the cache (SECONDS, per language
    and path); the view must add `csrf_context(request)` to its template context."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = _KEY.format(language=translation.get_language(), path=request.path)
        html = cache.get(key)
        if html is None:
            setattr(request, _ATTR, True)
            response = view(request, *args, **kwargs)
            setattr(request, _ATTR, False)
            if response.status_code != 200 or response.streaming:
                return response
            html = response.content.decode(response.charset)
            cache.set(key, html, SECONDS)
        response = HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))
        response["Content-Language"] = translation.get_language()
        return response

    return wrapper
