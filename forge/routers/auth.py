from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from forge.config import Settings
from forge.dependencies import Db, get_settings
from forge.models import User
from forge.schemas import Token
from forge.security import create_access_token, verify_password

router = APIRouter(tags=["auth"])


@router.post("/token")
def log_in(form: Annotated[OAuth2PasswordRequestForm, Depends()], db: Db,
           settings: Annotated[Settings, Depends(get_settings)]) -> Token:
    """OAuth2 password flow: a form with username and password, answered with a bearer token."""
    user = db.scalar(select(User).where(User.username == form.username))
    if user is None or not verify_password(form.password, user.password_hash):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Wrong username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    return Token(access_token=create_access_token(user.id, user.role, settings))
