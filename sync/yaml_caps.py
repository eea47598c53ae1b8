# SPDX-License-Identifier: GPL-3.0-or-later
"""YAML composed within caps: PyYAML's safe loader, refusing a hostile text while it composes, before
anything is built from it or walked.

PyYAML composes an alias as a reference to its anchor's node, so nine lines of nine aliases each to the
line above (the "billion laughs") compose in a millisecond; what explodes is every walk of the tree that
follows the references (our duplicate-key and line checks, the data built, pydantic's validation): 9**9
nodes. So each alias is charged what it stands for (its anchor's node count, known once that node is
composed), and the text is refused once its aliases stand for more than MAX_ALIASED nodes in all, or an
alias is met inside its own anchor (a loop). Nesting deeper than `depth` is refused before the composer
recurses into it (deep nesting is otherwise a RecursionError), and so is a value longer than `longest`
characters (a number of more than 4,300 digits is otherwise a ValueError when it is built).

`construct` builds the data of a composed tree; a value its tag cannot make (`2025-13-45`, `!!int 0x`),
which PyYAML lets out as a bare ValueError, is a ConstructorError at its line like any other.
"""

from __future__ import annotations

from typing import Any

import yaml

# nodes all aliases together may stand for; 500 branches sharing one earning block stand for ~5,500
MAX_ALIASED = 50_000


class CapError(Exception):
    """A cap the text broke: where (line, 1-based), which cap (`reason`) and its limit in words."""

    def __init__(self, line: int, reason: str, detail: str) -> None:
        super().__init__(line, reason, detail)
        self.line = line
        self.reason = reason
        self.detail = detail


def compose(text: str, *, depth: int, longest: int) -> yaml.Node | None:
    """The node tree of a one-document YAML text, or CapError; PyYAML's own errors pass through."""
    loader = _CappedLoader(text, depth=depth, longest=longest)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def construct(node: yaml.Node) -> Any:
    """The data of a node tree `compose` made; yaml.MarkedYAMLError for what the safe loader cannot make."""
    loader = _CappedLoader("", depth=0, longest=0)
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


class _CappedLoader(yaml.SafeLoader):
    def __init__(self, text: str, *, depth: int, longest: int) -> None:
        super().__init__(text)
        self._max_depth = depth
        self._longest = longest
        self._depth = 0
        self._aliased = 0
        self._sizes: dict[int, int] = {}  # id(collection node) → its node count, aliases counted whole

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            return self._alias(parent, index)
        if isinstance(event, yaml.ScalarEvent):
            if len(event.value) > self._longest:
                raise CapError(_line(event), "value_too_long", f"at most {self._longest} characters")
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > self._max_depth:
            raise CapError(_line(event), "nesting_too_deep", f"at most {self._max_depth} levels")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        children = (
            node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
        )
        self._sizes[id(node)] = 1 + sum(self._sizes.get(id(child), 1) for child in children)
        return node

    def _alias(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        # the anchor's node itself, shared (or PyYAML's error for an undefined alias)
        node = super().compose_node(parent, index)
        if isinstance(node, yaml.ScalarNode):
            size = 1
        elif id(node) in self._sizes:
            size = self._sizes[id(node)]
        else:  # the anchor's node is still being composed: the alias is inside it
            raise CapError(_line(event), "alias_limit", "an alias inside its own anchor")
        self._aliased += size
        if self._aliased > MAX_ALIASED:
            raise CapError(_line(event), "alias_limit", f"aliases may stand for at most {MAX_ALIASED} values")
        return node

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            shown = repr(node.value[:60]) if isinstance(node, yaml.ScalarNode) else "it"
            kind = node.tag.rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {shown} as {kind} ({exc})", node.start_mark
            ) from None


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1
