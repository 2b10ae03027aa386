"""The provider callback view (filled in below)."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def channel_webhook(request, kind: str, token: str):
    return HttpResponse(status=404)
