"""Error views Django lets a project replace. The 400/403/404/500 pages are templates
(templates/400.html …); only the CSRF failure needs a view of its own."""

from django.shortcuts import render


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token: almost always a page left open past its
    session, or a cookie cleared. Say so in plain words and offer to start again."""
    return render(request, "403_csrf.html", status=403)
