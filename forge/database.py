"""Engine and session plumbing (SQLAlchemy 2)."""
from collections.abc import Iterator

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool


class Base(DeclarativeBase):
    pass


def make_engine(url: str) -> Engine:
    if url in ("sqlite://", "sqlite:///:memory:"):
        # One shared connection, usable from any thread: the app runs in TestClient's portal
        # thread, not in the thread that created the tables.
        return create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    return create_engine(url)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


def open_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One session per request, closed (and so rolled back if not committed) afterwards."""
    with sessions() as session:
        yield session
