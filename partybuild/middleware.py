"""Project-wide middleware."""

from django.core.exceptions import SuspiciousOperation
from django.utils.cache import add_never_cache_headers, patch_vary_headers


class VietnameseFirstMiddleware:
    """Ignore the browser's Accept-Language so the UI is Vietnamese unless the user chose
    English with the language switch (a cookie, which LocaleMiddleware still honours).

    Office and ward computers often run an English browser; the users still work in
    Vietnamese, and an English screen would be a barrier, not a preference.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in the path, the query or a posted field is a bad request (400).

    PostgreSQL cannot store NUL in text: a `?q=%00` reaching a query was a 500. Refusing it
    here covers every view, including those that read request.GET themselves. Must come
    after CsrfViewMiddleware, which reads the posted form first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "\x00" in request.path or _has_nul(request.GET):
            raise SuspiciousOperation("NUL character in the request")
        if request.method == "POST" and _has_nul(request.POST):
            raise SuspiciousOperation("NUL character in the posted data")
        return None


def _has_nul(query) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in query.lists())


class NoStoreMiddleware:
    """Pages for a logged-in user carry `Cache-Control: no-store`: they show members'
    records, and a shared office computer or a proxy must not keep them. Files and responses
    that set their own policy (static files, downloads) are left as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            patch_vary_headers(response, ["Cookie"])
        return response
