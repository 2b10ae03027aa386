"""/api/v1/auth/… and /api/v1/me."""

from django.urls import path

from apps.accounts import api

urlpatterns = [
    path("auth/register", api.RegisterAPI.as_view(), name="api-register"),
    path("auth/login", api.LoginAPI.as_view(), name="api-login"),
    path("auth/refresh", api.RefreshAPI.as_view(), name="api-refresh"),
    path("auth/confirm-email", api.ConfirmEmailAPI.as_view(), name="api-confirm-email"),
    path(
        "auth/resend-confirmation",
        api.ResendConfirmationAPI.as_view(),
        name="api-resend-confirmation",
    ),
    path("auth/logout-all", api.SignOutEverywhereAPI.as_view(), name="api-logout-all"),
    path("me", api.MeAPI.as_view(), name="api-me"),
]
