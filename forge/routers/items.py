from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from forge.dependencies import Db
from forge.errors import NotFound
from forge.models import Item
from forge.schemas import ItemIn, ItemOut

router = APIRouter(prefix="/forge/items", tags=["items"])


@router.get("")
def list_items(db: Db) -> list[ItemOut]:
    return db.scalars(select(Item).order_by(Item.id)).all()


@router.get("/export")
def export_items(db: Db) -> StreamingResponse:
    """The catalogue as CSV, sent one line at a time."""
    rows = [(item.id, item.name, item.price) for item in db.scalars(select(Item).order_by(Item.id))]

    async def lines() -> AsyncIterator[str]:
        yield "id,name,price\n"
        for item_id, name, price in rows:
            await anyio.sleep(0)  # let other work run between lines, as a large export would
            yield f"{item_id},{name},{price:.2f}\n"

    return StreamingResponse(lines(), media_type="text/csv")


@router.get("/{item_id}")
def get_item(item_id: int, db: Db) -> ItemOut:
    item = db.get(Item, item_id)
    if item is None:
        raise NotFound(f"Item {item_id} not found")
    return item


@router.post("", status_code=status.HTTP_201_CREATED)
def create_item(payload: ItemIn, db: Db) -> ItemOut:
    item = Item(name=payload.name, price=payload.price)
    db.add(item)
    db.commit()
    return item
