"""``python -m planner``: the planner command line (see planner.cli)."""

import sys

from .cli import main

sys.exit(main())
