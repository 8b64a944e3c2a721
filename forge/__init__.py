"""Forge: the one FastAPI service that every lesson and exercise of the course tests.

The layout follows the course's last section (application structure for testability):
an app factory with a lifespan (`main`), one router per resource (`routers/`), overridable
dependencies (`dependencies`), SQLAlchemy 2 models and sessions (`database`, `models`) and
Pydantic schemas (`schemas`).
"""
