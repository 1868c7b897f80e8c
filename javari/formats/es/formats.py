"""Spanish number format: thousands grouped with a point ("16.000"), decimals after a comma.

Django's own Spanish format groups with a non-breaking space; browsers (``Intl.NumberFormat``,
CLDR) group Spanish with a point, and the character counters in the page format on the client.
One grouping everywhere, so a number doesn't change form when a counter updates. Everything not
named here comes from Django's ``es`` format (Django reads FORMAT_MODULE_PATH first, then its own).
"""

from __future__ import annotations

THOUSAND_SEPARATOR = "."
