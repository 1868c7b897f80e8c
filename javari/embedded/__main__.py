"""``python -m javari.embedded ...``: see ``javari.embedded.cli``."""

from __future__ import annotations

import sys

from javari.embedded.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
