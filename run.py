#!/usr/bin/env python3
"""RuamKit entry point: `python run.py [serve|user add|load|export] ...` (see --help)."""

from __future__ import annotations

import sys


def _serving(argv: list[str]) -> bool:
    """`run.py`, `run.py serve ...` or `run.py --help`-less options only: the server."""
    words = [a for a in argv if not a.startswith("-")]
    return not words or words[0] == "serve"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if _serving(argv) and not {"-h", "--help"} & set(argv):
        # gevent must patch the standard library before anything else imports it
        # (threading.local above all: each greenlet gets its own database session).
        from gevent import monkey

        monkey.patch_all()
    from workshop.cli import dispatch, parser

    return dispatch(parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
