from django.http import HttpResponse


def invitation_resume(request):
    return HttpResponse("todo")


def invitation_accept(request, token):
    return HttpResponse("todo")
