"""The WSGI application served by bench/load.py: the real app plus one empty view (the floor)."""

import os

from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")
settings.ROOT_URLCONF = "load_urls"
settings.ALLOWED_HOSTS = ["127.0.0.1"]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
