"""CPU work that holds the GIL, off the server: a small, fixed pool of worker processes.

pydantic checks a workshop body without handing the GIL back, so a thread does not help
(:mod:`.offloop`): the event loop would wait for the GIL at every turn. A process does.
Each worker is ``python -m MODULE MEMORY_MB`` (the module calls :func:`serve` with its job
handler), started when first needed and kept for the next jobs; a job and its answer are
pickled frames on the worker's stdin and stdout. The parent waits on the pipes with
``select``, which gevent makes cooperative: only the greenlet that asked waits, every
socket of the process goes on being served.

* At most ``size`` jobs run at once per server process; ``waiting`` more may wait their turn;
  beyond that :class:`Busy` (the caller answers 429 with Retry-After).
* A job has ``timeout`` seconds (a new worker's start-up besides); then its worker is killed
  and :class:`WorkerFailed` raised. A worker caps its own address space at MEMORY_MB and runs
  at a lower priority than the server; one that runs out of memory answers
  :class:`WorkerFailed` and is replaced. After ``max_jobs`` jobs a worker is replaced too, so
  memory one huge job made it keep goes back to the system.
* What the job raises (a ServiceError, say) is raised again in the caller.
* An idle worker that died (killed, say) is never handed a job; one whose pipe breaks before
  it answered a byte was dead already: the job is sent once more, to a new worker. Whatever
  stops a job (a gevent Timeout or GreenletExit too) kills its worker and closes its pipes.

Answers are unpickled by the server: they come from its own child running its own code, on
data the child only read as JSON or YAML.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import select
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_HEADER = struct.Struct(">Q")
#: seconds a new worker may take to start (imports) on top of its first job's timeout
STARTUP_SECONDS = 20.0


class Busy(Exception):
    """Every worker is taken and the waiting line is full."""


class WorkerFailed(Exception):
    """The worker ran out of time or memory, or stopped, before it answered."""


@dataclass
class _Worker:
    proc: subprocess.Popen[bytes]
    to_child: int
    from_child: int
    jobs: int = 0

    def close(self, *, kill: bool) -> None:
        for fd in (self.to_child, self.from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        if kill:
            with contextlib.suppress(OSError):
                self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):  # on EOF a worker exits at once
            self.proc.wait(timeout=5)


class WorkerPool:
    """``size`` persistent workers of ``python -m module`` (see the module's docstring)."""

    def __init__(self, module: str, *, size: int = 1, waiting: int = 4, memory_mb: int = 512,
                 timeout: float = 10.0, max_jobs: int = 500) -> None:
        self.module, self.size, self.waiting = module, max(1, size), max(0, waiting)
        self.memory_mb, self.timeout, self.max_jobs = memory_mb, timeout, max_jobs
        self._idle: list[_Worker] = []
        self._slots = threading.BoundedSemaphore(self.size)
        self._inside = 0  # jobs running or waiting for a slot
        self._count = threading.Lock()
        self._pid = os.getpid()
        #: workers started so far (tests and the benchmark look)
        self.started = 0

    def call(self, job: Any) -> Any:
        """``job`` done by a worker: its answer, or what it raised (raised here)."""
        with self._count:
            if self._inside >= self.size + self.waiting:
                raise Busy(f"{self._inside} jobs already running or waiting")
            self._inside += 1
        try:
            with self._slots:
                return self._run(job)
        finally:
            with self._count:
                self._inside -= 1

    def close(self) -> None:
        """Stop the idle workers (a running job's worker stops when it is done)."""
        idle, self._idle = self._idle, []
        for worker in idle:
            worker.close(kill=False)

    def _start(self) -> _Worker:
        child_in, to_child = os.pipe()
        from_child, child_out = os.pipe()
        try:
            proc = subprocess.Popen(  # noqa: S603 - this interpreter, our module, a number
                [sys.executable, "-m", self.module, str(self.memory_mb)],
                stdin=child_in, stdout=child_out, cwd=str(ROOT), close_fds=True)
        except BaseException:
            for fd in (to_child, from_child):
                os.close(fd)
            raise
        finally:
            os.close(child_in)
            os.close(child_out)
        os.set_blocking(to_child, False)
        os.set_blocking(from_child, False)
        self.started += 1
        return _Worker(proc, to_child, from_child)

    def _take(self) -> tuple[_Worker, bool]:
        """An idle worker that is still alive, or a new one; and whether it is new."""
        while self._idle:
            worker = self._idle.pop()
            if worker.proc.poll() is None:
                return worker, False
            worker.close(kill=True)  # died while idle (killed, say): never handed a job
        return self._start(), True

    def _run(self, job: Any) -> Any:
        if self._pid != os.getpid():  # a forked child makes its own workers
            self._idle, self._pid = [], os.getpid()
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)  # before a worker is taken
        worker, fresh = self._take()
        try:
            kind, value = self._exchange(worker, data, fresh)
        except _Unanswered as exc:
            if fresh:
                raise _stopped(worker) from exc.__cause__
            # an idle worker that died between its poll and the job (or whose pipe broke):
            # the job never reached a live worker, so a new worker tries it once
            worker = self._start()
            try:
                kind, value = self._exchange(worker, data, True)
            except _Unanswered as again:
                raise _stopped(worker) from again.__cause__
        worker.jobs += 1
        if kind == "failed":
            worker.close(kill=True)
            raise WorkerFailed(str(value))
        if worker.jobs >= self.max_jobs:
            worker.close(kill=False)
        else:
            self._idle.append(worker)
        if kind == "raised":
            raise value
        return value

    def _exchange(self, worker: _Worker, data: bytes, fresh: bool) -> tuple[str, Any]:
        """The worker's answer to ``data``; whatever goes wrong (a gevent Timeout or
        GreenletExit while waiting too), the worker is killed and its pipes closed first.
        :class:`_Unanswered` when its pipe broke or closed before it sent back a byte."""
        deadline = time.monotonic() + self.timeout + (STARTUP_SECONDS if fresh else 0.0)
        answered = False
        try:
            _write_all(worker.to_child, _HEADER.pack(len(data)) + data, deadline)
            first = _read_exact(worker.from_child, 1, deadline)
            answered = True
            header = first + _read_exact(worker.from_child, _HEADER.size - 1, deadline)
            size = _HEADER.unpack(header)[0]
            kind, value = pickle.loads(_read_exact(worker.from_child, size, deadline))  # noqa: S301 - our child
        except TimeoutError as exc:
            worker.close(kill=True)
            raise WorkerFailed(f"no answer within {self.timeout:g} s") from exc
        except (OSError, EOFError) as exc:
            worker.close(kill=True)
            if not answered:
                raise _Unanswered from exc
            raise WorkerFailed(f"the worker stopped (exit status {worker.proc.poll()})") from exc
        except (pickle.UnpicklingError, struct.error) as exc:
            worker.close(kill=True)
            raise WorkerFailed(f"the worker stopped (exit status {worker.proc.poll()})") from exc
        except BaseException:
            worker.close(kill=True)
            raise
        return kind, value


def _stopped(worker: _Worker) -> WorkerFailed:
    return WorkerFailed(f"the worker stopped (exit status {worker.proc.poll()})")


class _Unanswered(Exception):
    """The worker's pipe broke or closed before it answered a byte (raised from the cause)."""


def _wait(fd: int, *, write: bool, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    ready = select.select([], [fd], [], left) if write else select.select([fd], [], [], left)
    if not any(ready):
        raise TimeoutError


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        _wait(fd, write=True, deadline=deadline)
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            continue


def _read_exact(fd: int, size: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    while size:
        _wait(fd, write=False, deadline=deadline)
        try:
            chunk = os.read(fd, min(size, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------
# In the worker


def cap_memory(memory_mb: int) -> None:
    """This process's address space (MB, 0 = none) and a lower priority than the server."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.nice(10)


def serve(handle: Callable[[Any], Any], answers: tuple[type[BaseException], ...] = (Exception,)) -> int:
    """A worker's loop: read a job, answer ``("ok", value)``, ``("raised", exception)`` for
    the exceptions that are answers (``answers``), or ``("failed", why)`` for any other (out
    of memory, say: its traceback goes to stderr, the server's log); return at the end of
    stdin (the server closed it or stopped). The answers go to the original stdout; anything
    printed goes to stderr."""
    jobs, out = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print cannot break the frames
    while True:
        header = jobs.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return 0
        job = pickle.loads(jobs.read(_HEADER.unpack(header)[0]))  # noqa: S301 - from our server
        answer: tuple[str, Any]
        try:
            answer = ("ok", handle(job))
        except MemoryError:
            answer = ("failed", "the worker ran out of memory")
        except answers as exc:  # the caller raises it again
            answer = ("raised", exc)
        except Exception as exc:
            traceback.print_exc()
            answer = ("failed", f"the worker failed: {type(exc).__name__}")
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an answer that cannot travel
            data = pickle.dumps(("failed", f"the answer could not be sent: {exc!r}"))
        out.write(_HEADER.pack(len(data)) + data)
        out.flush()
