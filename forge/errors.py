"""The service's own errors and the one JSON shape its error responses have:
{"error": <machine-readable code>, "detail": <text for humans>}.

Validation errors (422) keep FastAPI's standard shape, {"detail": [{"type", "loc", ...}]},
which clients and tests read field by field.
"""
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException


class ForgeError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class NotFound(ForgeError):
    status_code = 404
    code = "not_found"


class Conflict(ForgeError):
    status_code = 409
    code = "conflict"


async def forge_error_handler(request: Request, exc: ForgeError) -> JSONResponse:
    return JSONResponse({"error": exc.code, "detail": exc.detail}, status_code=exc.status_code)


async def http_error_handler(request: Request, exc: HTTPException) -> JSONResponse:
    # FastAPI's own 401/403/404/405s and ours, in the same shape: "not_found", "forbidden", ...
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
    return JSONResponse({"error": code, "detail": exc.detail}, status_code=exc.status_code,
                        headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ForgeError, forge_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
