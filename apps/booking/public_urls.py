"""/api/public/v1/widget/{key}/slots/ and …/book/: the widget's meeting step."""

from django.urls import path

from apps.booking import public_api

urlpatterns = [
    path(
        "widget/<str:publishable_key>/slots/", public_api.widget_slots, name="public-widget-slots"
    ),
    path("widget/<str:publishable_key>/book/", public_api.widget_book, name="public-widget-book"),
]
