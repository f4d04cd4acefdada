"""``python -m sambandh.cli``: the same as the ``sambandh`` command."""

from __future__ import annotations

import sys

from sambandh.cli import main

sys.exit(main())
