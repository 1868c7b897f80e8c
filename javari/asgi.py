"""ASGI entry point: gunicorn runs it with uvicorn workers, so streaming replies don't pin a worker."""

from __future__ import annotations

import os

from javari.handlers import asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "javari.settings")

application = asgi_application()

# The embedded embedding model loads in the background now rather than on the first search.
from javari.retrieval.embeddings import warm_up  # noqa: E402  (needs the settings configured above)

warm_up()
