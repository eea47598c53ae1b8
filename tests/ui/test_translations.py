# SPDX-License-Identifier: GPL-3.0-or-later
"""The window's translations are complete: a new untranslated string fails the build.

- every string in `tr(...)` under app/ui is in both .ts files (`scripts/i18n` refreshes them);
- every Persian translation is finished, not empty, and keeps its source's placeholders;
- the English file translates every string to itself;
- the .ts files compile, and the compiled Persian file translates what the .ts says it does.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "app" / "ui"
TS = {lang: ROOT / "i18n" / f"bashgah_{lang}.ts" for lang in ("fa", "en")}
UNFINISHED = {"unfinished", "vanished", "obsolete"}
FORMAT_FIELD = re.compile(r"\{[^{}]*\}")  # str.format fields: {name}, {count:,}
QT_ARG = re.compile(r"%L?\d{1,2}|%n")  # QString::arg and plural markers


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    comment: str  # the disambiguation given to tr(), if any
    translations: tuple[str, ...]  # one, or one per plural form
    state: str  # "" when finished


@dataclass(frozen=True)
class TrCall:
    path: Path
    line: int
    context: str | None  # the enclosing class for self.tr; None when it cannot be told
    source: str | None  # None when the argument is not a string literal


def read_ts(path: Path) -> list[Message]:
    messages = []
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            if translation is None:
                texts, state = ("",), "missing"
            else:
                forms = translation.findall("numerusform")
                texts = tuple(f.text or "" for f in forms) if forms else (translation.text or "",)
                state = translation.get("type", "")
            source, comment = message.findtext("source") or "", message.findtext("comment") or ""
            messages.append(Message(name, source, comment, texts, state))
    return messages


def placeholders(text: str) -> Counter[str]:
    return Counter(FORMAT_FIELD.findall(text)) + Counter(m.replace("%L", "%") for m in QT_ARG.findall(text))


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _TrFinder(ast.NodeVisitor):
    """Calls of tr, translate and QT_TRANSLATE_NOOP/QT_TR_NOOP, with the class they are made in."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.classes: list[str] = []
        self.calls: list[TrCall] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "tr" and node.args:
            on_self = isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") == "self"
            context = self.classes[-1] if on_self and self.classes else None
            self._add(node, context, node.args[0])
        elif name in ("translate", "QT_TRANSLATE_NOOP") and len(node.args) >= 2 and _literal(node.args[0]):
            # translate("Context", "text"): the literal context tells it from QPainter.translate(x, y)
            self._add(node, _literal(node.args[0]), node.args[1])
        elif name == "QT_TR_NOOP" and node.args:
            self._add(node, self.classes[-1] if self.classes else None, node.args[0])
        self.generic_visit(node)

    def _add(self, node: ast.Call, context: str | None, argument: ast.expr) -> None:
        self.calls.append(TrCall(self.path, node.lineno, context, _literal(argument)))


def tr_calls() -> list[TrCall]:
    calls = []
    for path in sorted(UI.rglob("*.py")):
        finder = _TrFinder(path)
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        calls.extend(finder.calls)
    return calls


def where(call: TrCall) -> str:
    return f"{call.path.relative_to(ROOT)}:{call.line}"


# ---------------------------------------------------------------------------- the .ts files


@pytest.fixture(scope="module")
def ts() -> dict[str, list[Message]]:
    missing = [str(p) for p in TS.values() if not p.exists()]
    assert not missing, f"missing {missing}: run scripts/i18n"
    return {lang: read_ts(path) for lang, path in TS.items()}


def test_every_persian_translation_is_finished(ts: dict[str, list[Message]]) -> None:
    unfinished = [
        f"{m.context}: {m.source!r}" for m in ts["fa"]
        if m.state in UNFINISHED or m.state == "missing" or not all(t.strip() for t in m.translations)
    ]
    assert not unfinished, "translate these in i18n/bashgah_fa.ts:\n" + "\n".join(unfinished)


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_translations_keep_their_placeholders(ts: dict[str, list[Message]], lang: str) -> None:
    wrong = [
        f"{m.context}: {m.source!r} → {text!r}"
        for m in ts[lang]
        for text in m.translations
        if text and placeholders(text) != placeholders(m.source)
    ]
    assert not wrong, "placeholders differ from the source:\n" + "\n".join(wrong)


def test_english_translates_every_string_to_itself(ts: dict[str, list[Message]]) -> None:
    wrong = [
        f"{m.context}: {m.source!r}" for m in ts["en"]
        if m.state or any(text != m.source for text in m.translations)
    ]
    assert not wrong, "run scripts/i18n to refresh i18n/bashgah_en.ts:\n" + "\n".join(wrong)


def test_both_files_hold_the_same_strings(ts: dict[str, list[Message]]) -> None:
    keys = {lang: {(m.context, m.source) for m in messages} for lang, messages in ts.items()}
    assert keys["fa"] == keys["en"], "run scripts/i18n"


# ---------------------------------------------------------------------------- the code


def test_tr_takes_a_string_literal() -> None:
    """lupdate can only extract literals: no f-strings, variables or concatenation inside tr()."""
    bad = [where(call) for call in tr_calls() if call.source is None]
    assert not bad, "tr() needs a string literal (format after tr):\n" + "\n".join(bad)


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_string_in_the_code_is_in_the_ts(ts: dict[str, list[Message]], lang: str) -> None:
    with_context = {(m.context, m.source) for m in ts[lang]}
    sources = {m.source for m in ts[lang]}
    missing = [
        f"{where(call)}: {call.context or '?'}: {call.source!r}"
        for call in tr_calls()
        if call.source is not None
        and ((call.context, call.source) not in with_context if call.context else call.source not in sources)
    ]
    assert not missing, "run scripts/i18n, then translate the new strings:\n" + "\n".join(missing)


def test_the_finder_sees_the_enrolment_dialog() -> None:
    """Guards the test itself: an AST walk that found nothing would pass every check above."""
    found = {(c.context, c.source) for c in tr_calls()}
    assert ("EnrollDialog", "New member") in found
    assert ("JalaliDateEdit", "{age} years old") in found


# ---------------------------------------------------------------------------- compiling


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("qm")
    env = {**os.environ, "VENV": sys.prefix}
    done = subprocess.run(
        [str(ROOT / "scripts" / "i18n"), "--compile-only", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_the_ts_files_compile(compiled: Path) -> None:
    for lang in ("fa", "en"):
        assert (compiled / f"bashgah_{lang}.qm").stat().st_size > 0


def test_compiled_persian_translates_the_window(qapp, compiled: Path, ts: dict[str, list[Message]]) -> None:
    from PySide6.QtCore import QTranslator

    translator = QTranslator()
    assert translator.load(str(compiled / "bashgah_fa.qm"))
    assert translator.translate("EnrollDialog", "New member") == "عضو جدید"
    wrong = [
        f"{m.context}: {m.source!r}"
        for m in ts["fa"]
        if len(m.translations) == 1
        and translator.translate(m.context, m.source, m.comment or None) != m.translations[0]
    ]
    assert not wrong, "\n".join(wrong)
