"""Live price quotes over a WebSocket: send {"item_id": 1, "quantity": 3}, get the total back."""
from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from forge.dependencies import Db
from forge.models import Item

router = APIRouter(tags=["quotes"])


@router.websocket("/forge/ws/quotes")
async def quotes(websocket: WebSocket, db: Db) -> None:
    await websocket.accept()
    while True:
        try:
            request = await websocket.receive_json()
        except WebSocketDisconnect:
            return
        except ValueError:  # not JSON: a protocol error ends the conversation
            await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
            return
        if not isinstance(request, dict):
            await websocket.send_json({"error": "bad_request"})
            continue
        quantity = request.get("quantity", 1)
        if type(quantity) is not int or quantity < 1:
            await websocket.send_json({"error": "invalid_quantity"})
            continue
        item_id = request.get("item_id")
        item = db.get(Item, item_id) if type(item_id) is int else None
        if item is None:
            await websocket.send_json({"error": "not_found", "item_id": item_id})
            continue
        await websocket.send_json({"item_id": item.id, "name": item.name, "quantity": quantity,
                                   "total": round(item.price * quantity, 2)})
