#!/usr/bin/env python3
"""RuamKit entry point: `python run.py [serve|user add|load|export] ...` (see --help)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from workshop.cli import parser

    args = parser().parse_args(argv)
    if args.command in (None, "serve"):
        # gevent must patch the standard library before anything else imports it.
        from gevent import monkey

        monkey.patch_all()
    from workshop.cli import dispatch

    return dispatch(args)


if __name__ == "__main__":
    sys.exit(main())
