"""The Celery application; configuration comes from Django settings (CELERY_* namespace)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")

app = Celery("partybuild")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
