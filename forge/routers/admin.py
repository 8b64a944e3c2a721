from fastapi import APIRouter
from sqlalchemy import func, select

from forge.dependencies import Admin, Db
from forge.models import AuditEvent, Item, User
from forge.schemas import AuditEventOut, Dashboard

router = APIRouter(prefix="/forge/admin", tags=["admin"])


@router.get("/dashboard")
def dashboard(admin: Admin, db: Db) -> Dashboard:
    return Dashboard(users=db.scalar(select(func.count(User.id))),
                     items=db.scalar(select(func.count(Item.id))))


@router.get("/audit")
def audit_log(admin: Admin, db: Db) -> list[AuditEventOut]:
    return db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
