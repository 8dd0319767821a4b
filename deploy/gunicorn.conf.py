"""gunicorn settings for partybuild (`gunicorn -c deploy/gunicorn.conf.py partybuild.wsgi`).

Every value can be overridden from the environment (partybuild.env) so that one file
serves every web host; the defaults suit a 4-core host behind nginx on the same machine.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
# Sync processes, 2 × cores + 1, as measured in docs/benchmarks.md: the pages are CPU-bound
# Python, so threads add little. GUNICORN_THREADS > 1 switches to gthread (threads share the
# process's psycopg pool: processes × DB_POOL_MAX is what the web tier asks of PostgreSQL).
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 1)
# PDF and XLSX exports run in Celery, so no request should need more than this.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle processes now and then: caps the effect of any slow leak (WeasyPrint, lxml).
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Heartbeat files in RAM: a slow disk must not make the arbiter kill healthy workers.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn heartbeat files, not data
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None
# nginx sets X-Forwarded-Proto; only trust it from the proxy in front of this host.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Upload bodies are limited by Django (IMPORT_MAX_BYTES) and nginx (client_max_body_size).
limit_request_line = 8190
proc_name = "partybuild-web"
