from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request, status
from sqlalchemy import or_, select

from forge.audit import AuditLog
from forge.dependencies import CurrentUser, Db, get_audit_log, get_mailer
from forge.errors import Conflict, NotFound
from forge.mail import Outbox
from forge.models import User
from forge.schemas import UserCreate, UserOut
from forge.security import hash_password

router = APIRouter(prefix="/forge/users", tags=["users"])


def send_welcome(mailer: Outbox, email: str, username: str) -> None:
    mailer.send(email, "Welcome to the forge", f"Hello {username}, your account is ready.")


@router.post("", status_code=status.HTTP_201_CREATED)
def register(
    payload: UserCreate,
    db: Db,
    request: Request,
    background: BackgroundTasks,
    mailer: Annotated[Outbox, Depends(get_mailer)],
    audit: Annotated[AuditLog, Depends(get_audit_log)],
) -> UserOut:
    taken = db.scalar(select(User).where(or_(User.username == payload.username, User.email == payload.email)))
    if taken is not None:
        raise Conflict("That username or email is already registered")
    user = User(username=payload.username, email=payload.email, password_hash=hash_password(payload.password))
    db.add(user)
    db.commit()
    # After the response: the client does not wait for mail or bookkeeping.
    background.add_task(send_welcome, mailer, user.email, user.username)
    background.add_task(audit.record, "user.registered", user.id, request.state.trace_id)
    return user


@router.get("/me")
def read_me(user: CurrentUser) -> UserOut:
    return user


@router.get("/{user_id}")
def read_user(user_id: int, user: CurrentUser, db: Db) -> UserOut:
    # Only yourself, or anyone for an administrator. Others get the same 404 as a missing
    # user, so that ids cannot be probed.
    if user.id != user_id and user.role != "admin":
        raise NotFound(f"User {user_id} not found")
    found = db.get(User, user_id)
    if found is None:
        raise NotFound(f"User {user_id} not found")
    return found
