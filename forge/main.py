"""The app factory, its lifespan, and the module-level `app` that most tests import."""
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from forge.catalogue import seed_catalogue
from forge.config import Settings
from forge.database import Base, make_engine, make_sessionmaker
from forge.routers import health, items


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Startup: connect, create the tables, load the starter catalogue.
    engine = make_engine(app.state.settings.database_url)
    Base.metadata.create_all(engine)
    app.state.sessionmaker = make_sessionmaker(engine)
    with app.state.sessionmaker() as db:
        seed_catalogue(db)
    yield
    # Shutdown: close every pooled connection (an in-memory database is gone after this).
    engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(title="Forge", version=settings.version, debug=settings.debug, lifespan=lifespan)
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(items.router)
    return app


app = create_app()
