"""The vendor portal: static files served by the API function itself, from the API's own origin, so the
page's API calls need no CORS and its key never leaves that origin. No auth on these routes (the page asks
for a key); a strict Content-Security-Policy keeps every request on the API's origin and the S3 endpoint.

Also `GET /v1/me`, which the page reads to know who signed in.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from onboarding.api.context import caller, dependencies
from onboarding.config import Settings

PORTAL_PREFIX = "/portal"
# API Gateway's routes for the portal (one proxy route for every page and file under the prefix).
PORTAL_ROUTES: frozenset[tuple[str, str]] = frozenset({("GET", PORTAL_PREFIX), ("GET", f"{PORTAL_PREFIX}/{{proxy+}}")})
ERRORS_PAGE = f"{PORTAL_PREFIX}/errors"
_STATIC = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
_PAGE = "index.html"

router = Router()


class MeOut(BaseModel):
    vendor_id: str | None
    role: str
    max_file_bytes: int


@router.get("/v1/me", summary="Who the key belongs to, and the largest file it may upload", tags=["portal"])
def me() -> MeOut:
    who = caller(router)
    return MeOut(vendor_id=who.vendor_id, role="operator" if who.operator else "vendor",
                 max_file_bytes=dependencies(router).settings.max_file_bytes)


def serves(method: str, path: str) -> bool:
    return method in ("GET", "HEAD") and (path == PORTAL_PREFIX or path.startswith(PORTAL_PREFIX + "/"))


@cache
def _file(name: str) -> bytes:
    return resources.files("onboarding.api").joinpath("portal_static", name).read_bytes()


def content_security_policy(settings: Settings) -> str:
    storage = urlsplit(settings.aws_endpoint_url or f"https://s3.{settings.aws_region}.amazonaws.com")
    # Presigned POSTs go to the bucket's own host in AWS (virtual-hosted style), to the endpoint locally.
    s3_origins = f"{storage.scheme}://{storage.netloc}" if settings.aws_endpoint_url \
        else f"https://{settings.upload_bucket}.s3.amazonaws.com https://*.amazonaws.com"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {s3_origins}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def response(path: str, settings: Settings) -> dict[str, object]:
    """The Lambda proxy response for a portal path: a static file, the error codes page, or the page."""
    name = path[len(PORTAL_PREFIX):].lstrip("/")
    if name in _STATIC:
        body, content_type = _file(name), _STATIC[name]
    elif path == ERRORS_PAGE:
        body, content_type = _file("errors.md"), "text/markdown; charset=utf-8"
    else:
        body, content_type = _file(_PAGE), "text/html; charset=utf-8"
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": content_type,
            "Content-Security-Policy": content_security_policy(settings),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
        # Text, not base64: every file is UTF-8 and the API declares no binary media types.
        "body": body.decode("utf-8"),
        "isBase64Encoded": False,
    }
