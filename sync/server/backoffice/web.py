# SPDX-License-Identifier: GPL-3.0-or-later
"""Rendering pages: one Jinja2 environment (autoescaped: whatever a member typed is shown as text), the
user's language and direction, and the filters that show numbers, Toman and Jalali dates as the terminal
does (app.format)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app import format as fmt
from app.domain.digits import to_persian_digits
from sync.server.backoffice.desk import CSRF_FIELD, PREFIX, Desk
from sync.server.backoffice.texts import translator

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _digits(value: object, lang: str) -> str:
    text = str(value)
    return to_persian_digits(text) if lang == "fa" else text


def _when(us: int | None, lang: str) -> str:
    return "" if us is None else fmt.datetime_text(int(us), lang)


def _day(value: date | None, lang: str) -> str:
    return "" if value is None else fmt.date_text(value, lang)


def formatters(lang: str) -> dict[str, Any]:
    """What templates call to show values in the user's language."""
    return {
        "num": lambda value: fmt.number(int(value or 0), lang),
        "toman": lambda rials: fmt.toman(int(rials or 0), lang),
        "digits": lambda value: _digits(value, lang),
        "when": lambda us: _when(us, lang),
        "day": lambda value: _day(value, lang),
    }


def context(lang: str, **values: Any) -> dict[str, Any]:
    return {
        "lang": lang,
        "dir": "rtl" if lang == "fa" else "ltr",
        "_": translator(lang),
        "prefix": PREFIX,
        "csrf_field": CSRF_FIELD,
        **formatters(lang),
        **values,
    }


def render(
    desk: Desk, template: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any
) -> HTMLResponse:
    """A page (or an htmx fragment) for the signed-in user."""
    html = _env.get_template(template).render(
        context(desk.lang, user=desk.session.user, csrf=desk.session.csrf_token, desk=desk, **values)
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def render_public(lang: str, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A page for someone not signed in (the login page, errors before a session)."""
    html = _env.get_template(template).render(context(lang, user=None, csrf="", desk=None, **values))
    return HTMLResponse(html, status_code=status)


def is_htmx(desk_or_request: Any) -> bool:
    request = getattr(desk_or_request, "request", desk_or_request)
    return request.headers.get("hx-request") == "true"
