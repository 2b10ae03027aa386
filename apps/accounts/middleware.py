from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's, unless a language cookie
    was set by the switcher in this browser (the switcher also saves it to the profile)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated and user.language
        if signed_in and not request.COOKIES.get("django_language"):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
