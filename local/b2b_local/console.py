"""The operators' console on the local stack: its built files under ``/console/``, its runtime config,
and a local-only way to sign in (``POST /_local/dev-token``).

Deployed, CloudFront serves the same files from S3 and ``config.json`` names the identity provider.
"""

from __future__ import annotations

import json
import mimetypes
from hashlib import sha256
from pathlib import Path
from typing import Any

from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

from b2b_local.template import PROJECT_ROOT
from b2b_local.tokens import mint_token

CONSOLE_PREFIX = "/console"
CONSOLE_DIST = PROJECT_ROOT / "console" / "dist"
DEV_TOKEN_PATH = "/_local/dev-token"
# Content-hashed file names (Vite's `assets/index-<hash>.js`) never change content: cache them for good.
IMMUTABLE = "public, max-age=31536000, immutable"
# Everything else (index.html above all) is checked every time, so a new build shows at once.
REVALIDATE = "no-cache"
LOCAL_CONFIG: dict[str, Any] = {"api_base": "", "auth": {"mode": "local"}}

MISSING_BUILD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 10vh auto;">
<h1>The console is not built</h1>
<p>There is no <code>console/dist</code> in this checkout. Build it with <code>make console</code>
(or start the stack with <code>make run</code>, which builds it), then reload this page.</p>
</body></html>
"""


def _text(status: int, body: str, content_type: str, cache: str = REVALIDATE) -> Response:
    response = Response(body, status=status, content_type=content_type)
    response.headers["Cache-Control"] = cache
    return response


def is_console_path(path: str) -> bool:
    return path == CONSOLE_PREFIX or path.startswith(f"{CONSOLE_PREFIX}/")


def dev_token_response() -> Response:
    """An admin dev token for the console's "Sign in as local admin" (the local stack only)."""
    response = Response(json.dumps({"token": mint_token(admin=True)}), content_type="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


class ConsoleFiles:
    """Serves the built console: files from ``dist``, ``index.html`` for any route of the app."""

    def __init__(self, dist: Path = CONSOLE_DIST, config: dict[str, Any] | None = None) -> None:
        self.dist = dist
        self.config = config if config is not None else LOCAL_CONFIG

    def handle(self, request: Request) -> Response:
        if request.method not in {"GET", "HEAD"}:
            response = _text(405, "method not allowed\n", "text/plain")
            response.headers["Allow"] = "GET, HEAD"
            return response
        if request.path == CONSOLE_PREFIX:
            return Response(status=308, headers={"Location": f"{CONSOLE_PREFIX}/"})
        relative = request.path.removeprefix(f"{CONSOLE_PREFIX}/")
        if relative == "config.json":
            return _text(200, json.dumps(self.config), "application/json")
        index = self.dist / "index.html"
        if not index.is_file():
            return _text(503, MISSING_BUILD, "text/html; charset=utf-8")
        found = safe_join(str(self.dist), relative) if relative else None
        if found is not None and Path(found).is_file():
            cache = IMMUTABLE if relative.startswith("assets/") else REVALIDATE
            return self._file(request, Path(found), cache)
        if relative.startswith("assets/") or Path(relative).suffix:
            # A missing file is a 404, not the app: a stale asset must not come back as HTML.
            return _text(404, "not found\n", "text/plain")
        return self._file(request, index, REVALIDATE)

    @staticmethod
    def _file(request: Request, path: Path, cache: str) -> Response:
        data = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in {"application/javascript", "application/json"}:
            content_type += "; charset=utf-8"
        response = Response(data, content_type=content_type)
        response.headers["Cache-Control"] = cache
        response.set_etag(sha256(data).hexdigest()[:32])
        return response.make_conditional(request)
