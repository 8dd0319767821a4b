"""The one-command demo (`make run`) on SQLite, the one path the rest of the suite (PostgreSQL
only) never takes: migrate, seed_demo, then the pages a visitor opens first, as the demo logins.

It runs in a subprocess because the suite's own process is configured for PostgreSQL; the
subprocess gets the demo's environment (SQLite file, kombu's filesystem broker, no Redis).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import io, json
import django

django.setup()

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from assessments.demo import province, year_in_progress
from cells.models import Organization

call_command("migrate", interactive=False, verbosity=0)
out = io.StringIO()
call_command("seed_demo", scale=0.1, stdout=out)
year = year_in_progress()
commune = Organization.objects.get(code="SH-ALA")
pages = []


def visit(username, name, **kwargs):
    client = Client(HTTP_HOST="localhost")
    if username:
        assert client.login(username=username, password=province.DEMO_PASSWORD), username
    url = reverse(name, kwargs=kwargs or None)
    response = client.get(url, follow=True)
    pages.append(
        {
            "user": username,
            "url": url,
            "status": response.status_code,
            "body": response.content.decode(),
        }
    )


visit(None, "login")
visit("thamdinh.tinh", "cells:organization_tree")
visit("thamdinh.tinh", "assessments:review_home")
visit("thamdinh.tinh", "assessments:dashboard_home")
visit("vanphong.anlac", "assessments:rating_grid", org_pk=commune.pk, year=year)
print(json.dumps({"seed": out.getvalue(), "pages": pages}))
"""


def test_sqlite_demo_migrates_seeds_and_serves_its_first_pages(tmp_path):
    """On a fresh SQLite database the demo migrates, seeds and serves the login page, the
    tree, the review and dashboard homes and a commune's entry grid to the demo logins, in
    Vietnamese."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "CELERY_", "DJANGO_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        DJANGO_SETTINGS_MODULE="partybuild.settings",
        DJANGO_ENV="development",
        CELERY_BROKER_URL="filesystem://",
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Đã tạo dữ liệu mẫu" in result["seed"]
    for page in result["pages"]:
        assert page["status"] == 200, (page["user"], page["url"])
        assert 'lang="vi"' in page["body"], page["url"]
    tree, grid = result["pages"][1]["body"], result["pages"][4]["body"]
    assert "Sông Hồng Mới" in tree
    assert "An Lạc" in grid
