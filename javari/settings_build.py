"""Settings for the image build's offline steps: ``compile_translations`` and ``collectstatic``.

The real settings, imported with nothing to connect to: no ``DATABASE_URL``, ``REDIS_URL``,
``SECRET_KEY`` or ``FIELD_ENCRYPTION_KEY`` is needed, nothing is started or written but the static
files, and the database backend is Django's dummy one, which raises on any query. ``javari.settings``
recognises this module by its presence in ``sys.modules`` (it imports them while this one loads).
Never a server's settings: without a SECRET_KEY nothing can be signed.
"""

from __future__ import annotations

from javari.settings import *  # noqa: F403
