"""Export benchmark (``python -m bench.export``); see bench/export/README.md."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    from .run import main as run

    return run(argv)
