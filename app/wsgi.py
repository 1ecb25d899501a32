"""WSGI entry point for Gunicorn (`gunicorn --config app/gunicorn.conf.py app.wsgi:app`) and
Granian (`python -m app.granian_conf`)."""

import sys

from app import create_app, granian_gauges

# Gunicorn's "worker failed to boot" exit status: the arbiter stops instead of respawning.
WORKER_BOOT_ERROR = 3

try:
    app = create_app()
except ValueError as exc:  # a bad RIG_* setting: say which, without a traceback
    print(f"rig-api: configuration error: {exc}", file=sys.stderr)
    sys.exit(WORKER_BOOT_ERROR)

# Under Granian's launcher only: this worker's listen queue (Gunicorn's hooks do it there).
granian_gauges.watch_this_worker()
