"""The app factory, its lifespan, and the module-level `app` that most tests import."""
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import select

from forge.catalogue import seed_catalogue
from forge.config import Settings
from forge.database import Base, make_engine, make_sessionmaker
from forge.errors import install_error_handlers
from forge.mail import Outbox
from forge.middleware import install_trace_ids
from forge.models import User
from forge.routers import admin, auth, health, items, quotes, users
from forge.security import hash_password


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Startup: connect, create the tables, load the starter catalogue.
    settings = app.state.settings
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    app.state.sessionmaker = make_sessionmaker(engine)
    with app.state.sessionmaker() as db:
        seed_catalogue(db)
        if settings.admin_password:
            create_admin(db, settings)
    yield
    # Shutdown: close every pooled connection (an in-memory database is gone after this).
    engine.dispose()


def create_admin(db, settings: Settings) -> None:
    if db.scalar(select(User).where(User.username == settings.admin_username)) is None:
        db.add(User(username=settings.admin_username, email=f"{settings.admin_username}@forge.invalid",
                    password_hash=hash_password(settings.admin_password), role="admin"))
        db.commit()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(title="Forge", version=settings.version, debug=settings.debug, lifespan=lifespan)
    app.state.settings = settings
    app.state.mailer = Outbox()
    install_error_handlers(app)
    install_trace_ids(app)
    for module in (health, items, users, auth, admin, quotes):
        app.include_router(module.router)
    return app


app = create_app()
