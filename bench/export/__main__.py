"""``python -m bench.export``: the export benchmark (bench/export/run.py)."""

import sys

from .run import main

sys.exit(main(sys.argv[1:]))
