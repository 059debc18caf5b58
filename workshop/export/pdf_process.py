"""The PDF renderer's own process: HTML on stdin, PDF bytes on stdout.

    python -m workshop.export.pdf_process MEMORY_MB CPU_SECONDS

Started by :func:`workshop.export.pdf.render_in_child`. Before anything is
imported it caps its address space (MEMORY_MB, 0 = none) and CPU time, and
lowers its priority, so that a huge workshop's plan draft can neither take the
machine's memory nor starve the server of its cores. WeasyPrint then renders
with the same fetcher as everywhere (files under ``static/`` only).
"""

from __future__ import annotations

import os
import resource
import sys


def apply_ceilings(memory_mb: int, cpu_seconds: int) -> None:
    """This process's ceilings: address space (MB, 0 = none), CPU seconds, a lower priority.
    Also the DOCX writer's (docx_process), before it imports anything heavy."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_seconds > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    os.nice(10)


def main(argv: list[str]) -> int:
    apply_ceilings(int(argv[0]), int(argv[1]))
    html = sys.stdin.buffer.read().decode("utf-8")
    from workshop.export.pdf import render_here

    sys.stdout.buffer.write(render_here(html))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
