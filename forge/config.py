"""Settings, read once from the environment (FORGE_*) with defaults fit for tests."""
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    version: str = "1.4.0"
    # In memory by default: every lifespan starts from an empty, freshly seeded database.
    database_url: str = "sqlite://"
    debug: bool = False
    # Tokens are signed with this key (HS256). Production sets FORGE_JWT_SECRET.
    jwt_secret: str = "forge-development-secret-change-me-0123456789"
    token_minutes: int = 30
    # When set, the lifespan creates this administrator account (if it does not exist yet).
    admin_username: str = "forgemaster"
    admin_password: str | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ.get
        return cls(
            database_url=env("FORGE_DATABASE_URL", cls.database_url),
            debug=env("FORGE_DEBUG", "") == "1",
            jwt_secret=env("FORGE_JWT_SECRET", cls.jwt_secret),
            admin_password=env("FORGE_ADMIN_PASSWORD"),
        )
