from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from forge.dependencies import get_db
from forge.models import Item
from forge.schemas import ItemIn, ItemOut

router = APIRouter(prefix="/forge/items", tags=["items"])

Db = Annotated[Session, Depends(get_db)]


@router.get("")
def list_items(db: Db) -> list[ItemOut]:
    return db.scalars(select(Item).order_by(Item.id)).all()


@router.get("/{item_id}")
def get_item(item_id: int, db: Db) -> ItemOut:
    item = db.get(Item, item_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Item {item_id} not found")
    return item


@router.post("", status_code=status.HTTP_201_CREATED)
def create_item(payload: ItemIn, db: Db) -> ItemOut:
    item = Item(name=payload.name, price=payload.price)
    db.add(item)
    db.commit()
    return item
