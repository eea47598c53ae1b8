# SPDX-License-Identifier: GPL-3.0-or-later
"""The vendored front-end files work together in the real browser, offline, in Persian.

A page like the back office's (lang="fa" dir="rtl", Bootstrap's RTL build, Vazirmatn, htmx, Chart.js, all
from static/vendor) is served by a live uvicorn and opened in headless Chromium: the fonts load and are
the ones drawn, the layout runs right to left, htmx swaps a fragment, Bootstrap's scripts open a dropdown,
Chart.js draws, nothing errs, and axe-core finds nothing serious. The last tests need no browser: every
vendored file is listed in its VERSIONS.md with its sha256 and has a licence beside it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from playwright.sync_api import Page, expect

import sync.server.backoffice
from scripts import vendor_assets
from tests.support.browser import PageErrors, axe_violations, format_violations, rendered_fonts

STATIC = Path(sync.server.backoffice.__file__).resolve().parent / "static"
ROOT = Path(__file__).resolve().parents[2]
# the back office's, the member page's (sync/server/portal) and the tests' own (axe-core)
VENDOR_DIRS = (
    STATIC / "vendor",
    ROOT / "sync" / "server" / "portal" / "static" / "vendor",
    ROOT / "tests" / "support" / "vendor",
)

PAGE = """<!doctype html>
<html lang="fa" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>آزمون پرونده‌های پیشخوان</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/vendor/bootstrap/bootstrap.rtl.min.css">
<link rel="stylesheet" href="/static/vendor/vazirmatn/vazirmatn.css">
<style>:root { --bs-body-font-family: Vazirmatn, sans-serif; }</style>
<script src="/static/vendor/htmx/htmx.min.js"></script>
<script src="/static/vendor/chartjs/chart.umd.min.js"></script>
<script src="/static/vendor/bootstrap/bootstrap.bundle.min.js"></script>
</head>
<body>
<main class="container py-4">
  <h1 id="title">باشگاه مشتریان</h1>
  <p id="lead" class="ms-3">گزارش فروش شعبه‌ها در <strong>۱۴۰۵</strong></p>
  <button type="button" class="btn btn-primary" hx-get="/fragment" hx-target="#slot">بارگذاری خلاصه</button>
  <div id="slot">هنوز چیزی نیامده</div>
  <div class="dropdown my-3">
    <button type="button" class="btn btn-secondary dropdown-toggle" data-bs-toggle="dropdown"
            aria-expanded="false">گزارش‌ها</button>
    <ul class="dropdown-menu"><li><a class="dropdown-item" href="#">فروش ماهانه</a></li></ul>
  </div>
  <div style="width: 640px; height: 320px">
    <canvas id="chart" role="img" aria-label="نمودار فروش چهار ماه نخست سال"></canvas>
  </div>
</main>
<script>
  // Canvas text does not wait for web fonts: draw once Vazirmatn is in (recipes/browser-tests.md, pitfall 7).
  document.fonts.load('16px "Vazirmatn"').then(() => {
    new Chart(document.getElementById("chart"), {
      type: "bar",
      data: {labels: ["فروردین", "اردیبهشت", "خرداد", "تیر"],
             datasets: [{label: "فروش (میلیون تومان)", data: [12, 19, 7, 15], backgroundColor: "#0d6efd"}]},
      options: {animation: false, maintainAspectRatio: false, locale: "fa-IR", rtl: true,
                scales: {x: {reverse: true}, y: {position: "right"}}},
    });
    document.body.dataset.chartReady = "1";
  });
</script>
</body>
</html>
"""


def smoke_app() -> FastAPI:
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return PAGE

    @app.get("/fragment", response_class=HTMLResponse)
    def fragment(request: Request) -> HTMLResponse:
        # only htmx sends HX-Request: a plain link or a broken htmx would not get the fragment
        if request.headers.get("HX-Request") != "true":
            return HTMLResponse("not through htmx", status_code=400)
        return HTMLResponse('<p id="loaded">۳ شعبه، ۱۲۰ خرید</p>')

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


@pytest.fixture(scope="module")
def backoffice_app() -> Any:
    return smoke_app()


@pytest.fixture
def opened(page: Page, page_errors: PageErrors) -> Page:
    page.goto("/")
    page.wait_for_selector("body[data-chart-ready='1']")
    return page


# ---------------------------------------------------------------- in the browser


def test_the_vazirmatn_faces_load_and_are_the_ones_drawn(opened: Page) -> None:
    assert opened.evaluate(
        "async () => { await document.fonts.ready; return document.fonts.check('16px Vazirmatn'); }"
    )
    # check() also says true for a family nobody declared; these are the faces that really loaded
    loaded = opened.evaluate(
        """() => [...document.fonts].filter(f => f.family.replaceAll('"', '') === 'Vazirmatn'
                                                && f.status === 'loaded').map(f => f.weight)"""
    )
    assert sorted(loaded) == ["400", "500", "700"]  # body text, Bootstrap's headings, <strong>
    # and the renderer drew each weight from its own file, no glyph from a system fallback
    assert set(rendered_fonts(opened, "#title")) == {"Vazirmatn-Medium"}
    assert set(rendered_fonts(opened, "#lead")) == {"Vazirmatn-Regular", "Vazirmatn-Bold"}
    assert set(rendered_fonts(opened, "#lead strong")) == {"Vazirmatn-Bold"}


def test_the_page_runs_right_to_left_with_bootstraps_rtl_build(opened: Page) -> None:
    assert opened.evaluate("() => getComputedStyle(document.body).direction") == "rtl"
    # the heading's text starts at the container's right edge, not its left
    edges = opened.evaluate(
        """() => {
            const h1 = document.getElementById('title'), range = document.createRange();
            range.selectNodeContents(h1);
            const text = range.getBoundingClientRect(), box = h1.getBoundingClientRect();
            return {textLeft: text.left, textRight: text.right, boxLeft: box.left, boxRight: box.right};
        }"""
    )
    assert abs(edges["textRight"] - edges["boxRight"]) < 1
    assert edges["textLeft"] - edges["boxLeft"] > 300
    # .ms-3 (margin at the start) is margin-right only in the RTL build
    margins = opened.evaluate(
        "() => { const s = getComputedStyle(document.getElementById('lead'));"
        " return [s.marginRight, s.marginLeft]; }"
    )
    assert margins == ["16px", "0px"]


def test_htmx_swaps_in_a_fragment(opened: Page, page_errors: PageErrors) -> None:
    opened.get_by_role("button", name="بارگذاری خلاصه").click()
    expect(opened.locator("#slot #loaded")).to_have_text("۳ شعبه، ۱۲۰ خرید")
    assert page_errors.messages == []


def test_bootstraps_scripts_open_a_dropdown_at_the_right(opened: Page) -> None:
    toggle = opened.get_by_role("button", name="گزارش‌ها")
    toggle.click()
    menu = opened.locator(".dropdown-menu")
    expect(menu).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle_box, menu_box = toggle.bounding_box(), menu.bounding_box()
    assert toggle_box is not None and menu_box is not None
    # in RTL the menu hangs from the toggle's right edge (Popper, in the bundle, places it)
    assert abs((menu_box["x"] + menu_box["width"]) - (toggle_box["x"] + toggle_box["width"])) < 2


def test_chartjs_draws_the_chart(opened: Page) -> None:
    inked = opened.evaluate(
        """() => {
            const canvas = document.getElementById('chart');
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
            return inked / (pixels.length / 4);
        }"""
    )
    assert inked > 0.05, f"the chart canvas is {inked:.1%} inked"


def test_the_page_loads_without_errors_and_only_from_this_server(page: Page, page_errors: PageErrors) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/")
    page.wait_for_selector("body[data-chart-ready='1']")
    page.evaluate("() => document.fonts.ready")
    assert page_errors.messages == []
    origin = page.evaluate("() => location.origin")
    assert [url for url in requested if not url.startswith((origin, "data:"))] == []
    vendored = {url.removeprefix(origin) for url in requested if "/static/vendor/" in url}
    assert "/static/vendor/vazirmatn/Vazirmatn-Regular.woff2" in vendored
    assert "/static/vendor/htmx/htmx.min.js" in vendored


def test_axe_finds_nothing_serious(opened: Page) -> None:
    violations = axe_violations(opened)
    assert violations == [], format_violations(violations)


# ---------------------------------------------------------------- the files themselves


def listed_files(versions_md: Path) -> dict[str, str]:
    """{path: sha256} from the Files table of a VERSIONS.md."""
    rows = re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|", versions_md.read_text(encoding="utf-8"), re.M)
    return dict(rows)


@pytest.mark.parametrize("vendor", VENDOR_DIRS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_vendored_file_is_listed_with_its_hash_and_a_licence_beside_it(vendor: Path) -> None:
    listed = listed_files(vendor / "VERSIONS.md")
    files = [p for p in vendor.rglob("*") if p.is_file() and p.name != "VERSIONS.md"]
    present = {p.relative_to(vendor).as_posix(): p for p in files}
    assert sorted(present) == sorted(listed), "scripts/vendor-assets writes VERSIONS.md; re-run it"
    for name, path in present.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == listed[name], f"{name} differs from VERSIONS.md"
        assert (path.parent / "LICENSE").is_file(), f"no LICENSE beside {name}"


def test_versions_md_names_the_pinned_packages() -> None:
    text = "\n".join((vendor / "VERSIONS.md").read_text(encoding="utf-8") for vendor in VENDOR_DIRS)
    for package in vendor_assets.PACKAGES:
        row = " \\| ".join(map(re.escape, (package.name, package.version, package.licence)))
        integrity = r"`sha512-[A-Za-z0-9+/=]{88}`"
        assert re.search(rf"^\| {row} \| {integrity} \|", text, re.M), f"{package.name} {package.version}"


def test_the_font_stylesheet_declares_the_static_faces() -> None:
    css = (STATIC / "vendor" / "vazirmatn" / "vazirmatn.css").read_text(encoding="utf-8")
    face = r'url\("(Vazirmatn-\w+\.woff2)"\)[^}]*font-weight: (\d+);[^}]*font-display: swap;'
    faces = re.findall(face, css)
    assert faces == [
        ("Vazirmatn-Regular.woff2", "400"),
        ("Vazirmatn-Medium.woff2", "500"),
        ("Vazirmatn-Bold.woff2", "700"),
    ]
    assert "wght" not in css  # never the variable font: it prints as an unnamed Type 3 font
