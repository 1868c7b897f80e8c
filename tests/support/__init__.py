"""Helpers every app's tests share: the local fake HTTP server base (``tests.support.http``).

The shared fixtures (alice, bob, charlie, staff, ``asgi_url``) and ``free_port`` stay in the root
``conftest.py``, where pytest finds them; TOTP sign-in is ``accounts.tests.helpers``.
"""
