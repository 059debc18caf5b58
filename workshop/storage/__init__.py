"""Storage adapters: the database engine and session, migrations, the ballot writer.

Services call these; nothing here knows a request, a socket or a use case.
"""

from .database import db

__all__ = ["db"]
