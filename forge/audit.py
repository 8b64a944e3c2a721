"""The audit log: written by background tasks, after the response has been sent."""
from sqlalchemy.orm import Session, sessionmaker

from forge.models import AuditEvent


class AuditLog:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def record(self, action: str, user_id: int | None, trace_id: str | None) -> None:
        # Its own session: the request's session is closed by the time a background task runs.
        with self.sessions() as db:
            db.add(AuditEvent(action=action, user_id=user_id, trace_id=trace_id))
            db.commit()
