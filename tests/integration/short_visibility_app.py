"""The project's Celery app with a short Redis visibility timeout, for tests that kill a worker.

On Redis a message taken by a worker that dies without acknowledging it (acks_late) goes
back to the queue once it has been unacknowledged for `visibility_timeout` seconds; a live
worker sweeps for such messages every `unacked_restore_interval × unacked_restore_throttle`
seconds. Production keeps both long (docs/deployment.md); a test cannot wait an hour.

Run as `celery -A tests.integration.short_visibility_app worker …`.
"""

from partybuild.celery import app

VISIBILITY_TIMEOUT = 10

app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    # Longer than a task runs in these tests (a live worker's task is never taken from it),
    # short enough for a killed worker's task to come back within the test.
    "visibility_timeout": VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
