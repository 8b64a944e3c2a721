"""Settings, read once from the environment (FORGE_*) with defaults fit for tests."""
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    version: str = "1.4.0"
    # In memory by default: every lifespan starts from an empty, freshly seeded database.
    database_url: str = "sqlite://"
    debug: bool = False

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=os.environ.get("FORGE_DATABASE_URL", cls.database_url),
            debug=os.environ.get("FORGE_DEBUG", "") == "1",
        )
