"""Forge: the one FastAPI service that every lesson and exercise of the course tests.

The layout follows the course's last section (application structure for testability):
an app factory with a lifespan (`main`), one router per resource (`routers/`), overridable
dependencies (`dependencies`), SQLAlchemy 2 models and sessions (`database`, `models`) and
Pydantic schemas (`schemas`).
"""

import logging

# A library logs through its own logger and leaves output to the application (and to pytest's
# caplog): without a handler, Python would print warnings and errors to stderr.
logging.getLogger("forge").addHandler(logging.NullHandler())
