"""The JSON of Socket.IO packets: the standard library's, and an event that cannot be
decoded is still delivered, so that it is acknowledged.

python-socketio decodes a packet's JSON after reading its acknowledgement id; when
``json.loads`` fails (nested 5,000 levels deep: RecursionError; an integer of more
than 4,300 digits: ValueError; malformed) the packet was dropped and the phone never
got an answer (issue 14). Here such a payload becomes ``[event, UNREADABLE]``: the
event's handler gets a value that is not an object and acknowledges ``invalid``.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: what an event's data becomes when its JSON could not be decoded (never an object)
UNREADABLE = "(unreadable)"
_EVENT = re.compile(r'\s*\[\s*"([A-Za-z_][A-Za-z0-9_]{0,31})"\s*[,\]]')


def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
    return json.dumps(obj, *args, **kwargs)


def loads(text: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return json.loads(text, *args, **kwargs)
    except (ValueError, RecursionError):
        found = _EVENT.match(text) if isinstance(text, str) else None
        if found is None:
            raise
        return [found.group(1), UNREADABLE]
