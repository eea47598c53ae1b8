# SPDX-License-Identifier: GPL-3.0-or-later
"""The rule-set file an admin edits: YAML or JSON in, the same body sync.rules defines, and out.

Every refusal is one RulesFileError naming the line, the place in the body and why, as
`rules.yaml:14: tiers.2.threshold: not_above_previous_tier`: a syntax error at the line the parser
stopped on; a bad value at the line of its key (or list item), found by walking the composed YAML node
tree along the error's path (the nearest line that exists when the path ends at something missing). JSON
is read by `json`; its lines are found by composing the same text as YAML (JSON is YAML's flow style).
A key written twice in one mapping is refused rather than the last one silently winning.

A hostile or broken file is refused before the work it would cause, with the caps of sync.rules: its size
(read no further than the cap: `rules.yaml: too_large (limit 1 MB)`), then, while it is parsed, its
nesting (`nesting_too_deep`), YAML aliases (`alias_limit`, sync.yaml_caps) and values of absurd length
(`value_too_long`), then the lengths of its lists and texts (the body's validation).

The `version` key is optional in a file: the server gives an imported rule set the next version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from app.domain.errors import ClubError
from app.domain.programme import RuleSet
from sync import yaml_caps
from sync.rules import (
    MAX_DEPTH,
    MAX_SCALAR,
    MAX_TEXT_BYTES,
    RuleSetBody,
    from_body,
    load_json,
    to_body,
    too_large,
)

Format = Literal["yaml", "json"]
FORMATS: tuple[Format, ...] = ("yaml", "json")


class RulesFileError(Exception):
    """A rule-set file refused whole: where (line, 1-based, when known; dotted path) and why."""

    def __init__(
        self, line: int | None, path: str, reason: str, *, name: str = "rules", detail: str = ""
    ) -> None:
        super().__init__(line, path, reason)
        self.line = line
        self.path = path
        self.reason = reason
        self.name = name
        self.detail = detail

    def __str__(self) -> str:
        where = self.name if self.line is None else f"{self.name}:{self.line}"
        parts = [where, *([self.path] if self.path else []), self.reason]
        text = ": ".join(parts)
        return f"{text} ({self.detail})" if self.detail else text


def format_of(path: str | Path, default: Format = "yaml") -> Format:
    """The format a file's suffix names (.json, .yaml, .yml); else the default."""
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return default


# ---- reading ---------------------------------------------------------------------------------------


def read(path: str | Path, fmt: Format | None = None) -> RuleSet:
    """The rule set a file holds (version 0 when the file names none), or RulesFileError."""
    return parse(read_text(path), fmt=fmt or format_of(path), name=str(path))


def read_text(path: str | Path) -> str:
    """A rule-set file's text (UTF-8, a BOM allowed), or RulesFileError. No more than the cap is read, so
    a huge file (or /dev/zero) is refused at once."""
    name = str(path)
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise RulesFileError(None, "", "unreadable", name=name, detail=exc.strerror or str(exc)) from None
    refused = too_large(len(raw))
    if refused is not None:
        raise _text_refused(refused, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RulesFileError(line, "", "not_utf8", name=name) from None
    return text


def parse(text: str, *, fmt: Format = "yaml", name: str = "rules") -> RuleSet:
    """The rule set a YAML or JSON text holds, or RulesFileError."""
    refused = too_large(len(text.encode("utf-8", "surrogatepass")))
    if refused is not None:
        raise _text_refused(refused, name)
    if fmt == "json":
        body = _load_json(text, name)
        node = _compose(text, name, strict=False)
    else:
        node, body = _load_yaml(text, name)
    if body is None:
        raise RulesFileError(None, "", "empty", name=name)
    if isinstance(body, dict) and "version" not in body:
        body = {"version": 0, **body}
    try:
        return from_body(body)
    except ClubError as exc:
        raise _refused(exc, node, name) from None


def check(
    text: str, *, fmt: Format = "yaml", name: str = "rules"
) -> tuple[RuleSet | None, list[RulesFileError]]:
    """`parse`, keeping every refusal the body's shape gives at once: the rule set, or the refusals, the
    first of them the one `parse` raises. The domain's own invariants are checked one at a time, after
    the shape holds, so a text with only those wrong has one refusal."""
    try:
        return parse(text, fmt=fmt, name=name), []
    except RulesFileError as first:
        if not first.path:  # the text itself (size, syntax, caps): nothing is read past it
            return None, [first]
        try:
            more = _more_refusals(text, fmt, name, first)
        except (RulesFileError, yaml.YAMLError):  # a repeated key: refused before the shape is read
            more = []
        return None, [first, *more]


def _more_refusals(text: str, fmt: Format, name: str, first: RulesFileError) -> list[RulesFileError]:
    """The body's other shape refusals (pydantic's, every one), placed at their lines."""
    node = _compose(text, name, strict=False)
    body = _load_json(text, name) if fmt == "json" else yaml_caps.construct(node) if node else None
    if isinstance(body, dict) and "version" not in body:
        body = {"version": 0, **body}
    try:
        RuleSetBody.model_validate(body)
    except ValidationError as exc:
        found = []
        for error in exc.errors(include_url=False):
            path = ".".join(str(part) for part in error["loc"])
            if path != first.path:
                found.append(
                    RulesFileError(line_of(node, path), path, error["type"], name=name, detail=error["msg"])
                )
        return found
    return []


def refusal(text: str, error: ClubError, *, fmt: Format = "yaml", name: str = "rules") -> RulesFileError:
    """A refusal of a rule set read from this text (e.g. by the server, for what its tables cannot hold),
    placed at its line in the text."""
    try:
        node = _compose(text, name, strict=False)
    except RulesFileError:
        node = None
    return _refused(error, node, name)


def _refused(error: ClubError, node: yaml.Node | None, name: str) -> RulesFileError:
    path = str(error.params.get("path", ""))
    reason = str(error.params.get("reason", error.code))
    extra = {k: v for k, v in error.params.items() if k not in ("path", "reason", "message")}
    detail = str(error.params.get("message", "")) or ", ".join(f"{k}={v!r}" for k, v in extra.items())
    return RulesFileError(line_of(node, path), path, reason, name=name, detail=detail)


def _text_refused(error: ClubError, name: str) -> RulesFileError:
    """A refusal of the text as a whole (its size, its nesting, its syntax): no path, maybe a line."""
    line = error.params.get("line")
    reason = str(error.params.get("reason", error.code))
    return RulesFileError(line, "", reason, name=name, detail=str(error.params.get("message", "")))


def _load_json(text: str, name: str) -> Any:
    try:
        return load_json(text)
    except ClubError as exc:
        raise _text_refused(exc, name) from None


def _load_yaml(text: str, name: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for lines) and the data it makes, from one parse."""
    node = _compose(text, name, strict=True)
    if node is None:
        return None, None
    try:
        return node, yaml_caps.construct(node)
    except yaml.MarkedYAMLError as exc:  # a tag the safe loader does not make (!!python/object …)
        raise _yaml_error(exc, name) from None


def _yaml_error(exc: yaml.MarkedYAMLError, name: str) -> RulesFileError:
    mark = exc.problem_mark or exc.context_mark
    line = None if mark is None else mark.line + 1
    return RulesFileError(line, "", "yaml_syntax", name=name, detail=exc.problem or exc.context or "")


def _compose(text: str, name: str, *, strict: bool) -> yaml.Node | None:
    """The YAML node tree (for lines). For a YAML file a syntax error or a repeated key is the file's
    error; for JSON the tree only serves lines, so a text YAML cannot compose just has none. A broken cap
    is the file's error either way."""
    try:
        node = yaml_caps.compose(text, depth=MAX_DEPTH, longest=MAX_SCALAR)
    except yaml_caps.CapError as exc:
        raise RulesFileError(exc.line, "", exc.reason, name=name, detail=exc.detail) from None
    except yaml.MarkedYAMLError as exc:
        if strict:
            raise _yaml_error(exc, name) from None
        return None
    except yaml.YAMLError:
        return None
    repeated = _repeated_key(node, "")
    if repeated is not None:
        line, path = repeated
        raise RulesFileError(line, path, "duplicate_key", name=name)
    return node


def _repeated_key(node: yaml.Node | None, path: str) -> tuple[int, str] | None:
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key, value in node.value:
            label = key.value if isinstance(key, yaml.ScalarNode) else "?"
            here = f"{path}.{label}" if path else str(label)
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    return key.start_mark.line + 1, here
                seen.add(key.value)
            found = _repeated_key(value, here)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _repeated_key(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def line_of(node: yaml.Node | None, path: str) -> int | None:
    """The line (1-based) of the key or item the dotted path names, or of its nearest existing ancestor."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    parts = path.split(".") if path else []
    i = 0
    while i < len(parts):
        if isinstance(node, yaml.MappingNode):
            # a key may itself hold dots (a branch code): try the longest run of parts first
            for j in range(len(parts), i, -1):
                wanted = ".".join(parts[i:j])
                pair = next(
                    ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == wanted),
                    None,
                )
                if pair is not None:
                    line, node = pair[0].start_mark.line + 1, pair[1]
                    i = j
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and parts[i].isdigit() and int(parts[i]) < len(node.value):
            node = node.value[int(parts[i])]
            line = node.start_mark.line + 1
            i += 1
        else:
            return line
    return line


# ---- writing ---------------------------------------------------------------------------------------


def dump(rules: RuleSet, fmt: Format = "yaml") -> str:
    """The rule set as a file: every field written out, in the body's order, Persian names as they are."""
    body = to_body(rules)
    if fmt == "json":
        return json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown format {fmt!r}")
    return yaml.dump(
        body, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, except that text holding a Unicode line break (NEL, LS, PS) is written
    double-quoted: with allow_unicode PyYAML writes those raw in a plain or single-quoted scalar, and reads
    them back as a folded space."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(ch in value for ch in "\x85\u2028\u2029"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_Dumper.add_representer(str, _text)
