"""URLs served during bench/load.py: the app's own, and an empty view as the floor."""

from django.http import HttpResponse
from django.urls import include, path


def empty_view(request):
    return HttpResponse("ok")


urlpatterns = [
    path("__bench__/empty/", empty_view),
    path("", include("partybuild.urls")),
]
