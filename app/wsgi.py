"""WSGI entry point for Gunicorn: `gunicorn --config app/gunicorn.conf.py app.wsgi:app`."""

from app import create_app

app = create_app()
