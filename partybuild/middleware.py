"""Project-wide middleware."""


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
