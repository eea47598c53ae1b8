# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page's shell under /m/: the page, its service worker, its manifest and its static files.

All of it is the same for everyone: no answer here reads the session cookie or the database, so the shell
can leak nothing about a member, and the service worker may cache it for offline use. The member's data
comes from the JSON API under /m/api/ (sync.server.portal's other modules), which the worker never caches.

Every answer carries a strict Content-Security-Policy (scripts from this origin only, no inline script or
style, no framing) and `Cache-Control: no-cache`: the browser revalidates (a cheap 304 by ETag), and the
service worker answers from its cache first anyway, so a slow network costs no wait.

The font is the back office's vendored Vazirmatn (sync/server/backoffice/static/vendor/vazirmatn), served
from where it is under /m/static/font/ rather than copied: one copy to upgrade.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from sync.server.backoffice.web import STATIC as BACKOFFICE_STATIC

PREFIX = "/m"
STATIC = Path(__file__).resolve().parent / "static"
FONTS = BACKOFFICE_STATIC / "vendor" / "vazirmatn"
FONT_FACES = ("Vazirmatn-Regular.woff2", "Vazirmatn-Bold.woff2")  # the page uses two weights

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".webmanifest": "application/manifest+json",
}
# files under static/ that are not served: the page has no use for them
NOT_SERVED = {"sw.js", "manifest.webmanifest", "index.html"}

router = APIRouter(include_in_schema=False)


def _file(request: Request, path: Path, extra: dict[str, str] | None = None) -> Response:
    """The file, or 304 when the browser's copy is this one (its ETag): a revalidation costs no body."""
    media = MEDIA_TYPES.get(path.suffix)
    if media is None or not path.is_file():
        raise HTTPException(404)
    headers = {**HEADERS, **(extra or {})}
    answer = FileResponse(path, media_type=media, headers=headers, stat_result=path.stat())
    etag = answer.headers["etag"]
    if etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers={**headers, "ETag": etag})
    return answer


def _inside(folder: Path, name: str) -> Path:
    """`name` under `folder`, or 404: no `..`, no absolute path, no symlink out of the folder."""
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise HTTPException(404)
    return path


@router.get(PREFIX)
def no_slash() -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=308, headers=HEADERS)


@router.get(f"{PREFIX}/")
def page(request: Request) -> Response:
    return _file(request, STATIC / "index.html")


@router.get(f"{PREFIX}/sw.js")
def service_worker(request: Request) -> Response:
    # served from /m/ (not /m/static/) so its default scope is the page's; the header says so explicitly
    return _file(request, STATIC / "sw.js", {"Service-Worker-Allowed": f"{PREFIX}/"})


@router.get(f"{PREFIX}/manifest.webmanifest")
def manifest(request: Request) -> Response:
    return _file(request, STATIC / "manifest.webmanifest")


@router.get(f"{PREFIX}/static/font/{{name}}")
def font(request: Request, name: str) -> Response:
    if name not in FONT_FACES:
        raise HTTPException(404)
    return _file(request, FONTS / name)


@router.get(f"{PREFIX}/static/{{name:path}}")
def static(request: Request, name: str) -> Response:
    if name in NOT_SERVED:
        raise HTTPException(404)
    return _file(request, _inside(STATIC, name))
