"""The scenario format: a small YAML file in bench/load/scenarios/, read into dataclasses.

A scenario says how many phones join and how fast, then a list of phases. A phase
opens one or more stages through the API and makes the phones vote:

- ``burst``: every phone casts one ballot on each of the phase's stages, at a random
  moment within ``spread`` seconds of the stage opening;
- ``steady``: ``rate`` ballots a second for ``duration`` seconds, each from a random
  phone on a random stage of the phase (phones re-vote; a later ballot replaces an
  earlier one).

A phase of a ``deploy`` scenario may ``kill`` a process: SIGKILL the first process that
many seconds after the stage opens, and start it again ``restart`` seconds later (as
systemd's ``RestartSec=2``); ``pause`` waits before the stage opens (for sockets to move
back to a returned process). With ``reconnect``, a phone whose socket ends connects again
as the page's socket.io client does and re-sends its unacknowledged ballot (same
``ballot_id``).

``retry_fraction`` of ballots are sent again with the same ``ballot_id`` once
acknowledged (a phone that missed the acknowledgement), ``duplicate_fraction`` are
sent twice at once; both copies must get the same version and count once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
WORKSHOP_FILE = SCENARIOS / "workshop.yaml"


class ScenarioError(ValueError):
    pass


@dataclass
class Phase:
    name: str
    kind: str  # burst | steady
    stages: list[str]
    spread: float = 2.0  # burst: seconds over which every phone votes
    rate: float = 300.0  # steady: ballots per second
    duration: float = 60.0  # steady: seconds
    kill: float | None = None  # deploy: SIGKILL the first process this many s after the stage opens
    restart: float = 2.0  # deploy: start it again this many s after the kill
    pause: float = 0.0  # seconds to wait before the stage opens


@dataclass
class Scenario:
    name: str
    description: str = ""
    phones: int = 2000
    join_seconds: float = 20.0
    phases: list[Phase] = field(default_factory=list)
    #: "ruamkit", "reference" (the Node.js tally server in bench/reference), "durable" (its
    #: Python counterpart that stores ballots, bench/reference/durable.py) or "deploy"
    #: (deploy/install.sh into a throwaway root, the processes behind nginx)
    target: str = "ruamkit"
    servers: int = 1
    database: str = "sqlite"  # sqlite | postgresql
    message_queue: str | None = None  # None | redis
    #: audience sizes to run one after the other (scale-out); empty = [phones]
    sizes: list[int] = field(default_factory=list)
    #: a phone whose socket ends connects again and re-sends what was not acknowledged
    reconnect: bool = False
    #: deploy: settings added to those install.sh wrote (WORKSHOP_...=value)
    settings: dict[str, str] = field(default_factory=dict)
    #: a long steady run (bench/load/soak.py): each generator makes its ballots as it goes and
    #: keeps its acknowledgements compact; server RSS over time, ack latency per window and
    #: (RuamKit) every full garbage collection are reported
    soak: bool = False
    retry_fraction: float = 0.02
    duplicate_fraction: float = 0.01
    projectors: int = 1
    workers: int = 0  # generator processes; 0 = automatic
    seed: int = 1
    targets: dict[str, float] = field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> Scenario:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _check(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise ScenarioError(f"{where}: {message}")


def parse(data: Any, where: str = "scenario") -> Scenario:
    _check(isinstance(data, dict), where, "must be a mapping")
    known = {f.name for f in dataclasses.fields(Scenario)}
    for key in data:
        _check(key in known, f"{where}.{key}", "unknown field")
    phases = []
    for i, raw in enumerate(data.get("phases") or []):
        at = f"{where}.phases[{i}]"
        _check(isinstance(raw, dict), at, "must be a mapping")
        pknown = {f.name for f in dataclasses.fields(Phase)}
        for key in raw:
            _check(key in pknown, f"{at}.{key}", "unknown field")
        phase = Phase(**raw)
        _check(phase.kind in ("burst", "steady"), f"{at}.kind", "must be burst or steady")
        _check(bool(phase.stages) and all(isinstance(s, str) for s in phase.stages),
               f"{at}.stages", "must list stage keys")
        _check(phase.spread >= 0 and phase.rate > 0 and phase.duration > 0, at, "bad timing")
        _check(phase.pause >= 0 and phase.restart >= 0 and (phase.kill is None or phase.kill >= 0),
               at, "bad timing")
        phases.append(phase)
    _check(bool(phases), f"{where}.phases", "at least one phase")
    sc = Scenario(**{**data, "phases": phases})
    _check(sc.target in ("ruamkit", "reference", "durable", "deploy"), f"{where}.target",
           "ruamkit, reference, durable or deploy")
    if sc.target == "deploy":
        _check(sc.database == "postgresql" and sc.message_queue == "redis", where,
               "install.sh deploys on PostgreSQL and Redis: say database: postgresql, message_queue: redis")
    _check(not sc.settings or sc.target == "deploy", f"{where}.settings", "for a deploy scenario only")
    killing = [p for p in phases if p.kill is not None]
    _check(not killing or (sc.target == "deploy" and sc.servers >= 2 and sc.reconnect), where,
           "a phase kills a process only in a deploy scenario with 2+ servers and reconnect: true")
    _check(not sc.soak or sc.target in ("ruamkit", "durable"), f"{where}.soak",
           "a soak runs RuamKit or the durable reference")
    _check(sc.database in ("sqlite", "postgresql"), f"{where}.database", "sqlite or postgresql")
    _check(sc.message_queue in (None, "redis"), f"{where}.message_queue", "redis or nothing")
    _check(sc.servers >= 1, f"{where}.servers", "at least 1")
    _check(sc.servers == 1 or sc.message_queue == "redis", f"{where}.message_queue",
           "several servers need the redis message queue")
    _check(sc.servers == 1 or sc.database == "postgresql", f"{where}.database",
           "several servers share PostgreSQL")
    _check(0 <= sc.retry_fraction <= 1 and 0 <= sc.duplicate_fraction <= 1, where, "bad fractions")
    return sc


def load(name_or_path: str) -> Scenario:
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIOS / f"{name_or_path}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror}") from exc
    return parse(data, path.name)


def workshop_definition() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKSHOP_FILE.read_text(encoding="utf-8"))
    return loaded
