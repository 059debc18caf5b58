"""What use cases announce. Only ``workshop.realtime`` knows rooms and rates.

Services call ``notifier().results_changed(...)`` after committing; the
realtime layer installs its implementation on the app at start.
"""

from __future__ import annotations

from typing import Protocol

from flask import current_app, has_app_context


class Notifier(Protocol):
    def state_changed(self, workshop_id: int, *, items_changed: bool = False) -> None: ...
    def results_changed(self, workshop_id: int, stage_key: str) -> None: ...
    def participants_changed(self, workshop_id: int) -> None: ...
    def moderation_changed(self, workshop_id: int) -> None: ...
    def comment_published(self, workshop_id: int, comment_id: int) -> None: ...
    def pending_added(self, workshop_id: int, kind: str, entry_id: int) -> None: ...
    def signed_out(self, reference: str) -> None: ...
    def account_signed_out(self, user_id: int) -> None: ...
    def access_changed(self, workshop_id: int, user_id: int) -> None: ...
    def screen_changed(self, workshop_id: int) -> None: ...
    def kiosks_stopped(self, workshop_id: int) -> None: ...


class NullNotifier:
    """Announces nothing (CLI, tests of services alone)."""

    def state_changed(self, workshop_id: int, *, items_changed: bool = False) -> None:
        pass

    def results_changed(self, workshop_id: int, stage_key: str) -> None:
        pass

    def participants_changed(self, workshop_id: int) -> None:
        pass

    def moderation_changed(self, workshop_id: int) -> None:
        pass

    def comment_published(self, workshop_id: int, comment_id: int) -> None:
        pass

    def pending_added(self, workshop_id: int, kind: str, entry_id: int) -> None:
        pass

    def signed_out(self, reference: str) -> None:
        pass

    def account_signed_out(self, user_id: int) -> None:
        pass

    def access_changed(self, workshop_id: int, user_id: int) -> None:
        pass

    def screen_changed(self, workshop_id: int) -> None:
        pass

    def kiosks_stopped(self, workshop_id: int) -> None:
        pass


_NULL = NullNotifier()
EXTENSION_KEY = "ruamkit.notifier"


def notifier() -> Notifier:
    if has_app_context():
        found: Notifier = current_app.extensions.get(EXTENSION_KEY, _NULL)
        return found
    return _NULL
