"""The only place that knows Socket.IO room names."""

from __future__ import annotations


def everyone(workshop_id: int) -> str:
    """Every socket of a workshop: residents, projectors, facilitators (`state`)."""
    return f"w{workshop_id}"


def residents(workshop_id: int) -> str:
    """Residents' phones: `results` only for stages whose results are shown."""
    return f"w{workshop_id}:residents"


def watchers(workshop_id: int) -> str:
    """Projectors and facilitators: `results` and `participants`."""
    return f"w{workshop_id}:watchers"


def facilitators(workshop_id: int) -> str:
    """Facilitators only: moderation queues."""
    return f"w{workshop_id}:facilitators"


def kiosks(workshop_id: int) -> str:
    """Residents seated at a helper kiosk: told when a facilitator stops the kiosks."""
    return f"w{workshop_id}:kiosks"
