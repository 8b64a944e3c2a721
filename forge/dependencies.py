"""Everything a route gets through Depends(): the place tests override."""
from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from forge.config import Settings
from forge.database import open_session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    # The session factory is created by the lifespan: without it there is no database.
    yield from open_session(request.app.state.sessionmaker)
