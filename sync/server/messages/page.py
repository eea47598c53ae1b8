# SPDX-License-Identifier: GPL-3.0-or-later
"""The small pages members reach from a message (unsubscribe, an invitation's pass): Persian first, then
English, one thing between them (a button, a QR code); never cached, never indexed, no referrer sent."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

_PAGE = """<!DOCTYPE html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">
<title>{title_fa} · {title_en}</title>
<style>body{{font-family:Vazirmatn,Tahoma,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;
line-height:1.7;text-align:{align}}}
section[lang=en]{{direction:ltr;text-align:{align_en};border-top:1px solid #ccc;
margin-top:1.5rem;padding-top:1rem}}
button{{font:inherit;padding:.5rem 1.5rem}}
img{{width:min(80vw,20rem);image-rendering:pixelated}}</style></head><body>
<section lang="fa"><h1>{title_fa}</h1><p>{text_fa}</p></section>
{middle}
<section lang="en"><h1>{title_en}</h1><p>{text_en}</p></section>
</body></html>"""


def bilingual(
    texts: tuple[str, str, str, str],
    middle: str = "",
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    centred: bool = False,
) -> HTMLResponse:
    """A page of (title fa, text fa, title en, text en), escaped, with `middle` (trusted HTML) between."""
    title_fa, text_fa, title_en, text_en = (html.escape(t) for t in texts)
    body = _PAGE.format(
        title_fa=title_fa, text_fa=text_fa, title_en=title_en, text_en=text_en, middle=middle,
        align="center" if centred else "right", align_en="center" if centred else "left",
    )  # fmt: skip
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})
