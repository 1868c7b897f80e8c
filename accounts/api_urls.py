from __future__ import annotations

urlpatterns: list = []  # filled by the settings issue (#4)
