"""The DOCX writer's own process, like the PDF renderer's (pdf_process).

    python -m workshop.export.docx_process MEMORY_MB CPU_SECONDS

A plan draft of a workshop at the file limits is hundreds of pages: python-docx holds
the whole document in memory and takes the GIL for the time it writes, which on the
server would stop every phone's socket meanwhile and keep the memory afterwards. With
``EXPORT_RENDERER = "process"`` (the default) :func:`render` hands the report to this
module in a child process: the job (pickled: the report is plain data the server built,
and only the server writes this pipe) on stdin, the DOCX on stdout. Before it reads the
job the child caps its address space and CPU time and lowers its priority
(``pdf_process.apply_ceilings``, EXPORT_MEMORY_MB and EXPORT_TIMEOUT); it is killed after
EXPORT_TIMEOUT seconds. Its catalogs are the server's (BABEL_TRANSLATION_DIRECTORIES).
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Mapping
from typing import Any

#: what a job may ask for: a workshop's plan draft, or a plan's (several workshops)
KINDS = ("workshop", "plan")


def write(kind: str, report: Mapping[str, Any]) -> bytes:
    """The DOCX of ``report``, in this process (needs an app context for the catalogs)."""
    if kind == "plan":
        from .plan_docx import plan_docx

        return plan_docx(report)
    from .docx import report_docx

    return report_docx(report)


def render(kind: str, report: Mapping[str, Any]) -> bytes:
    """The DOCX of ``report``: in a child process with the export ceilings (the setting
    EXPORT_RENDERER, "process" by default), else on a thread here (tests). RenderFailed
    when the child breaks a ceiling or fails."""
    from flask import current_app

    from .pdf import _renderer, offload, run_child

    assert kind in KINDS, kind
    if _renderer() != "process":
        return offload(lambda: write(kind, report))
    config = current_app.config
    job = pickle.dumps({"kind": kind, "report": dict(report),
                        "translations": config["BABEL_TRANSLATION_DIRECTORIES"],
                        "locale": config["BABEL_DEFAULT_LOCALE"]})
    return run_child("workshop.export.docx_process", job, what="DOCX", magic=b"PK")


def main(argv: list[str]) -> int:
    from workshop.export.pdf_process import apply_ceilings

    apply_ceilings(int(argv[0]), int(argv[1]))
    job = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - see the module's docstring
    from flask import Flask
    from flask_babel import Babel

    from workshop.domain.formats import DEFAULT_TIMEZONE

    app = Flask("ruamkit-docx")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = job["translations"]
    app.config["BABEL_DEFAULT_LOCALE"] = job["locale"]
    Babel(app, timezone_selector=lambda: DEFAULT_TIMEZONE)
    with app.app_context():
        content = write(job["kind"], job["report"])
    sys.stdout.buffer.write(content)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
