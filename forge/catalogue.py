"""The starter catalogue that the service loads when it starts."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from forge.models import Item

STARTER_CATALOGUE = [("anvil", 120.0), ("hammer", 35.5), ("tongs", 18.25)]


def seed_catalogue(db: Session) -> None:
    if db.scalar(select(Item.id).limit(1)) is not None:
        return  # a persistent database keeps what it has
    db.add_all(Item(name=name, price=price) for name, price in STARTER_CATALOGUE)
    db.commit()
