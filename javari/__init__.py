"""Javari AI. Importing this package has no side effects: ``javari.embedded`` and ``javari.run``
are imported before Django is configured. The Celery app is loaded in ``JavariConfig.ready``."""
