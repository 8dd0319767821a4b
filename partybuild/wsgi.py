"""WSGI entry point (gunicorn partybuild.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")

application = get_wsgi_application()
