# SPDX-License-Identifier: GPL-3.0-or-later
"""`scripts/vendor-assets`: re-takes the vendored front-end files from npm, at the pinned versions.

The back office serves its own copies (no CDN: a head office may run the server offline, and no Node
build at install or run time), so the files are committed. This script is for upgrades only: change a
pin in PACKAGES, run it, read the diff, run tests/backoffice. It asks npm for the tarballs (`npm pack
--json`: the registry's sha512 integrity comes with them), copies the listed files and each package's
licence beside them, writes vazirmatn.css, and writes a VERSIONS.md per vendor directory that lists
every file with its sha256 (tests/backoffice/test_vendored_assets.py checks the files against it).

axe-core goes to tests/support/vendor/: it only checks pages in tests and is never served.
qrcode-generator goes to the member page's sync/server/portal/static/vendor/ (its own VERSIONS.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC_VENDOR = ROOT / "sync" / "server" / "backoffice" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "support" / "vendor"
PORTAL_VENDOR = ROOT / "sync" / "server" / "portal" / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    licence: str
    root: Path  # the vendor directory whose VERSIONS.md lists it
    folder: str  # under root
    files: tuple[tuple[str, str], ...]  # (path in the tarball under package/, name in folder)
    # for a package whose tarball carries no licence file: the LICENSE to write, from its source's header
    licence_text: str = ""


MIT_QRCODE_GENERATOR = """\
QR Code Generator for JavaScript

Copyright (c) 2009 Kazuhiko Arase

URL: http://www.d-project.com/

Licensed under the MIT license (as the header of dist/qrcode.mjs says; the npm tarball carries no
licence file, so scripts/vendor-assets writes the MIT licence's text here):

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
USE OR OTHER DEALINGS IN THE SOFTWARE.

The word 'QR Code' is registered trademark of DENSO WAVE INCORPORATED
(http://www.denso-wave.com/qrcode/faqpatent-e.html).
"""

# Vazirmatn's static faces, not Vazirmatn[wght].woff2: the variable font is embedded in printed PDFs as an
# unnamed Type 3 font. 500 because Bootstrap's headings use it.
FONT_WEIGHTS = (("Regular", 400), ("Medium", 500), ("Bold", 700))
FONT_FILES = tuple(f"Vazirmatn-{face}" for face, _ in FONT_WEIGHTS)

PACKAGES = (
    Package(
        name="bootstrap",
        version="5.3.9",
        licence="MIT",
        root=STATIC_VENDOR,
        folder="bootstrap",
        files=(
            ("dist/css/bootstrap.rtl.min.css", "bootstrap.rtl.min.css"),
            ("dist/css/bootstrap.min.css", "bootstrap.min.css"),
            # the bundle carries Popper, which the dropdowns need
            ("dist/js/bootstrap.bundle.min.js", "bootstrap.bundle.min.js"),
            ("LICENSE", "LICENSE"),
        ),
    ),
    Package(
        # 2.x on purpose: npm's `latest` of htmx.org is 4.x, a different API
        name="htmx.org",
        version="2.0.11",
        licence="0BSD",
        root=STATIC_VENDOR,
        folder="htmx",
        files=(("dist/htmx.min.js", "htmx.min.js"), ("LICENSE", "LICENSE")),
    ),
    Package(
        name="chart.js",
        version="4.6.2",
        licence="MIT",
        root=STATIC_VENDOR,
        folder="chartjs",
        files=(("dist/chart.umd.min.js", "chart.umd.min.js"), ("LICENSE.md", "LICENSE")),
    ),
    Package(
        name="vazirmatn",
        version="33.0.3",
        licence="OFL-1.1",
        root=STATIC_VENDOR,
        folder="vazirmatn",
        files=(
            *((f"fonts/webfonts/{font}.woff2", f"{font}.woff2") for font in FONT_FILES),
            ("OFL.txt", "LICENSE"),
        ),
    ),
    Package(
        # the member page's QR codes (the rotating phone code in numeric mode at level L); the ES module
        # build, imported by portal.js. The tarball has no LICENSE: its source's header says MIT.
        name="qrcode-generator",
        version="2.0.4",
        licence="MIT",
        root=PORTAL_VENDOR,
        folder="qrcode-generator",
        files=(("dist/qrcode.mjs", "qrcode.mjs"),),
        licence_text=MIT_QRCODE_GENERATOR,
    ),
    Package(
        name="axe-core",
        version="4.14.1",
        licence="MPL-2.0",
        root=TEST_VENDOR,
        folder="axe-core",
        files=(
            ("axe.min.js", "axe.min.js"),
            ("LICENSE", "LICENSE"),
            # axe.min.js bundles these MIT-licensed libraries
            ("LICENSE-3RD-PARTY.txt", "LICENSE-3RD-PARTY.txt"),
        ),
    ),
)

FONT_CSS = "vazirmatn/vazirmatn.css"


def font_css(version: str) -> str:
    faces = "".join(
        f"""
@font-face {{
    font-family: "Vazirmatn";
    src: url("Vazirmatn-{face}.woff2") format("woff2");
    font-weight: {weight};
    font-style: normal;
    font-display: swap;
}}
"""
        for face, weight in FONT_WEIGHTS
    )
    return (
        f"/* Vazirmatn {version} (SIL OFL 1.1, LICENSE beside this file), written by scripts/vendor-assets.\n"
        "   Static faces, one per weight: the variable font prints as an unnamed Type 3 font in PDFs. */\n"
        + faces
    )


def npm_pack(packages: tuple[Package, ...], into: Path) -> dict[str, dict]:
    """The tarballs in `into`, and npm's description of each (filename, integrity) by package name."""
    specs = [f"{p.name}@{p.version}" for p in packages]
    out = subprocess.run(
        ["npm", "pack", "--json", "--pack-destination", str(into), *specs],
        check=True,
        capture_output=True,
        text=True,
        cwd=into,
    ).stdout
    return {entry["name"]: entry for entry in json.loads(out)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def take(package: Package, tarball: Path) -> list[tuple[str, str]]:
    """Copies the package's files into place; returns (vendored path, tarball path) pairs."""
    dest = package.root / package.folder
    if dest.exists():
        shutil.rmtree(dest)  # an upgrade must not leave the old version's files behind
    dest.mkdir(parents=True)
    taken = []
    with tarfile.open(tarball) as tar:
        for inside, name in package.files:
            member = tar.getmember(f"package/{inside}")
            source = tar.extractfile(member)
            if source is None:
                raise SystemExit(f"vendor-assets: {package.name}: package/{inside} is not a file")
            (dest / name).write_bytes(source.read())
            taken.append((f"{package.folder}/{name}", f"package/{inside}"))
    if package.licence_text:
        (dest / "LICENSE").write_text(package.licence_text, encoding="utf-8")
    return taken


def versions_md(root: Path, rows: list[tuple[Package, dict, list[tuple[str, str]]]]) -> str:
    lines = [
        "# Vendored front-end files",
        "",
        "Copied verbatim from the npm registry's tarballs by `scripts/vendor-assets`, which is run by",
        "hand to upgrade (change its pins), never at install. Each package's licence is the `LICENSE`",
        "beside its files. tests/backoffice/test_vendored_assets.py checks that every file here is",
        "listed below with this sha256.",
        "",
        "| package | version | licence | npm tarball integrity | files taken |",
        "|---|---|---|---|---|",
    ]
    for package, npm, taken in rows:
        files = "<br>".join(f"`{inside}` → `{path}`" for path, inside in taken)
        lines.append(
            f"| {package.name} | {package.version} | {package.licence} | `{npm['integrity']}` | {files} |"
        )
    lines += ["", "## Files", "", "| file | sha256 | from |", "|---|---|---|"]
    files = []
    for package, _, taken in rows:
        for path, inside in taken:
            files.append((path, f"{package.name} {package.version} `{inside}`"))
        if package.name == "vazirmatn":
            files.append((FONT_CSS, "written by scripts/vendor-assets"))
        if package.licence_text:
            written = f"written by scripts/vendor-assets ({package.licence})"
            files.append((f"{package.folder}/LICENSE", written))
    for path, source in sorted(files):
        lines.append(f"| `{path}` | `{sha256(root / path)}` | {source} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/vendor-assets", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    if shutil.which("npm") is None:
        print("vendor-assets: npm is missing (apt-get install npm)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="vendor-assets-") as tmp:
        packed = npm_pack(PACKAGES, Path(tmp))
        by_root: dict[Path, list[tuple[Package, dict, list[tuple[str, str]]]]] = {}
        for package in PACKAGES:
            npm = packed[package.name]
            if npm["version"] != package.version:
                raise SystemExit(
                    f"vendor-assets: npm gave {package.name} {npm['version']}, not {package.version}"
                )
            taken = take(package, Path(tmp) / npm["filename"])
            if package.name == "vazirmatn":
                (package.root / FONT_CSS).write_text(font_css(package.version), encoding="utf-8")
            by_root.setdefault(package.root, []).append((package, npm, taken))
    for root, rows in by_root.items():
        (root / "VERSIONS.md").write_text(versions_md(root, rows), encoding="utf-8")
        names = ", ".join(f"{p.name} {p.version}" for p, _, _ in rows)
        print(f"vendor-assets: {root.relative_to(ROOT)}: {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
