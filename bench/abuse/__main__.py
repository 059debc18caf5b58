"""`python -m bench.abuse`: see bench/abuse/__init__.py."""

from bench.abuse import main

raise SystemExit(main())
