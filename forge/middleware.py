"""Trace ids: every response carries X-Trace-ID, errors included."""
import logging
import re
import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

HEADER = "X-Trace-ID"
_VALID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
log = logging.getLogger("forge")


def install_trace_ids(app: FastAPI) -> None:
    @app.middleware("http")
    async def trace_ids(request: Request, call_next):
        incoming = request.headers.get(HEADER, "")
        trace_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.state.trace_id = trace_id
        try:
            response = await call_next(request)
        except Exception:
            # An unhandled error would otherwise reach Starlette's ServerErrorMiddleware, which
            # sits outside this middleware: its plain 500 would carry no trace id.
            log.exception("unhandled error, trace id %s", trace_id)
            response = JSONResponse(
                {"error": "internal_error", "detail": "Something went wrong on our side.",
                 "trace_id": trace_id},
                status_code=500,
            )
        response.headers[HEADER] = trace_id
        return response
