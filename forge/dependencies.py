"""Everything a route gets through Depends(): the places tests override.

Leaves (get_settings, get_db, get_mailer, get_audit_log) read what the lifespan put on
`app.state`; get_current_user and require_admin build on them.
"""
from collections.abc import Iterator
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.requests import HTTPConnection
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from forge.audit import AuditLog
from forge.config import Settings
from forge.database import open_session
from forge.mail import Outbox
from forge.models import User
from forge.security import decode_access_token


def get_settings(connection: HTTPConnection) -> Settings:
    return connection.app.state.settings


def get_db(connection: HTTPConnection) -> Iterator[Session]:
    # The session factory is created by the lifespan: without it there is no database.
    yield from open_session(connection.app.state.sessionmaker)


def get_mailer(connection: HTTPConnection) -> Outbox:
    return connection.app.state.mailer


def get_audit_log(connection: HTTPConnection) -> AuditLog:
    return AuditLog(connection.app.state.sessionmaker)


bearer_token = OAuth2PasswordBearer(tokenUrl="/token", auto_error=False)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail,
                         headers={"WWW-Authenticate": "Bearer"})


def get_current_user(
    token: Annotated[str | None, Depends(bearer_token)],
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> User:
    """The user the bearer token belongs to. 401 when there is no valid token."""
    if token is None:
        raise _unauthorized("Not authenticated")
    try:
        claims = decode_access_token(token, settings)
    except jwt.InvalidTokenError:
        raise _unauthorized("Invalid or expired token") from None
    user = db.get(User, int(claims["sub"]))
    if user is None:
        raise _unauthorized("Invalid or expired token")
    return user


def require_admin(user: Annotated[User, Depends(get_current_user)]) -> User:
    """403 for a signed-in user who is not an administrator."""
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Administrators only")
    return user


Db = Annotated[Session, Depends(get_db)]
CurrentUser = Annotated[User, Depends(get_current_user)]
Admin = Annotated[User, Depends(require_admin)]
