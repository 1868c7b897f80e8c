"""ASGI entry point: gunicorn runs it with uvicorn workers, so streaming replies don't pin a worker."""

from __future__ import annotations

import os

from javari.handlers import asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "javari.settings")

application = asgi_application()
