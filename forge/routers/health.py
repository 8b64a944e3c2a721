from typing import Annotated

from fastapi import APIRouter, Depends

from forge.config import Settings
from forge.dependencies import get_settings
from forge.schemas import Health

router = APIRouter(prefix="/forge", tags=["health"])


@router.get("/health")
def health(settings: Annotated[Settings, Depends(get_settings)]) -> Health:
    return Health(status="ok", version=settings.version)
