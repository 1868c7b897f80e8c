"""WSGI entry point, for tools that want one; production serves ``javari.asgi``."""

from __future__ import annotations

import os

from javari.handlers import wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "javari.settings")

application = wsgi_application()
