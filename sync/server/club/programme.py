# SPDX-License-Identifier: GPL-3.0-or-later
"""The programme's rule sets for head office: the versions, what changed between two, a draft checked as
the import checks it, publishing a new version, and what a sale would earn.

Every way a rule set is saved comes through `publish` (the back office's editor, the admin API's
`PUT /v1/admin/rules`, `bashgah-server rules import`) or `put_tier` (one tier's table fields): permission
`RULES_PUBLISH`, one transaction, an audit row whose before and after are the version numbers (and the
note the publisher wrote), the new version published to terminals (sync.server.rules.save).

A draft is refused whole, with every refusal placed: a YAML text's at its line and dotted path
(sync.rules_file: exactly the checks of the import, then what the server's tables cannot hold), a body's
(the editor's form makes one) at its path. The programme is no one's personal data, so reading it is not
audited; a quote for a named member is (it shows their tier).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select

from app.domain.errors import ClubError
from app.domain.money import MAX_RIALS
from app.domain.pricing import SaleContext, price_sale
from app.domain.programme import Campaign, RuleSet, TierRule
from sync import rules_file
from sync.protocol import WireBranch, WireTier
from sync.rules import RuleSetBody, from_body, to_body
from sync.server import club
from sync.server import rules as rule_sets
from sync.server.club.access import Actor, Permission
from sync.server.club.act import Act, Call, change, read
from sync.server.errors import ApiError
from sync.server.models import AUDIT, MEMBER, RULE_SET, TIER
from sync.server.sequence import Publisher

PUBLISH = "rules.publish"  # the audit action of a new version
MAX_NOTE = 500
PAGE = 50  # versions listed at once


# ---- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Version:
    """A version as listed: who saved it, when, and their note (version 0: the tables', saved by no one)."""

    version: int
    created_at_us: int | None = None
    created_by: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Versions:
    current: int
    items: list[Version]  # newest first
    next_before: int | None  # the cursor of the next (older) page, None on the last


@dataclass(frozen=True, slots=True)
class Shown:
    """A rule set with what a page needs around it: its version's row and the club's branches."""

    rules: RuleSet
    info: Version
    current: int
    branches: list[WireBranch]

    @property
    def yaml(self) -> str:
        return rules_file.dump(self.rules)


def _notes(conn: Connection, rows: list[Any]) -> dict[int, str]:
    """The publishers' notes, from the audit rows written in the versions' transactions (found by their
    time, which the audit log indexes, then by the version they made)."""
    times = {r.created_at_us for r in rows}
    if not times:
        return {}
    found: dict[int, str] = {}
    audit_rows = conn.execute(
        select(AUDIT.c.detail).where(AUDIT.c.at_us.in_(times), AUDIT.c.action == PUBLISH)
    )
    for (detail,) in audit_rows:
        try:
            data = json.loads(detail)
            made = int(data["after"]["version"])
        except (ValueError, KeyError, TypeError):
            continue
        found[made] = str(data.get("note", ""))
    return found


def _version_rows(conn: Connection, before: int | None, limit: int) -> list[Any]:
    query = select(RULE_SET.c.version, RULE_SET.c.created_at_us, RULE_SET.c.created_by)
    if before is not None:
        query = query.where(RULE_SET.c.version < before)
    return list(conn.execute(query.order_by(RULE_SET.c.version.desc()).limit(limit)))


def _listed(conn: Connection, rows: list[Any]) -> list[Version]:
    notes = _notes(conn, rows)
    return [Version(r.version, r.created_at_us, r.created_by, notes.get(r.version, "")) for r in rows]


def versions(call: Call, *, before: int | None = None, limit: int = PAGE) -> Versions:
    """The saved versions, newest first, a page at a time (`before`: the previous page's cursor)."""

    def work(conn: Connection) -> Versions:
        rows = _version_rows(conn, before, limit + 1)
        more = len(rows) > limit
        items = _listed(conn, rows[:limit])
        return Versions(rule_sets.latest_version(conn), items, items[-1].version if more else None)

    return read(call, "rules.versions", None, work, audited=False)


def _unknown_version(version: int) -> ApiError:
    return ApiError(404, "unknown_rules_version", f"no rule-set version {version}", version=version)


def _shown(conn: Connection, version: int | None) -> Shown:
    current = rule_sets.latest_version(conn)
    number = current if version is None else version
    try:
        rules = rule_sets.get(conn, number)
    except ClubError:
        raise _unknown_version(number) from None
    rows = [r for r in _version_rows(conn, number + 1, 1) if r.version == number]
    info = _listed(conn, rows)[0] if rows else Version(number)
    return Shown(rules, info, current, club.branches(conn))


def version(call: Call, n: int | None = None) -> Shown:
    """A version as it was saved (None: the current one; 0: the tables' programme); 404 if there is none."""
    return read(call, "rules.version", None if n is None else f"v{n}", lambda c: _shown(c, n), audited=False)


# ---- what changed -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two rule sets, at a dotted path (list items with a code by their code)."""

    path: str
    before: Any
    after: Any
    kind: str = "changed"  # "changed", "added" or "removed"

    @property
    def text(self) -> str:
        if self.kind == "added":
            return f"{self.path}: + {_shown_value(self.after)}"
        if self.kind == "removed":
            return f"{self.path}: − {_shown_value(self.before)}"
        return f"{self.path}: {_shown_value(self.before)} → {_shown_value(self.after)}"


def _shown_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def changes(old: RuleSet, new: RuleSet) -> list[Change]:
    """What differs between two rule sets, field by field, in the body's order (their numbers aside)."""
    found: list[Change] = []
    a, b = to_body(old), to_body(new)
    a.pop("version"), b.pop("version")
    # each branch as it prices, whether named or on the defaults: naming a branch with the defaults' very
    # figures (version 0 names every branch) changes nothing a member sees
    codes = [*(c for c, _ in old.branches), *(c for c, _ in new.branches)]
    codes = list(dict.fromkeys(codes))
    a["branches"] = {code: scenario_body(old, code) for code in codes}
    b["branches"] = {code: scenario_body(new, code) for code in codes}
    _walk(a, b, "", found)
    return found


def scenario_body(rules: RuleSet, code: str) -> dict[str, Any]:
    """A branch's scenario as the body writes it."""
    earning, redemption = rules.branch_rules(code).earning, rules.branch_rules(code).redemption
    return {
        "earning": {
            "points_per_unit": earning.points_per_unit,
            "rials_per_unit": earning.rials_per_unit,
            "min_sale_rials": earning.min_sale_rials,
            "max_points_per_sale": earning.max_points_per_sale,
            "rounding": earning.rounding.value,
        },
        "redemption": {
            "rials_per_point": redemption.rials_per_point,
            "max_share_percent": redemption.max_share_percent,
        },
    }


def _coded(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, dict) and isinstance(v.get("code"), str) for v in value
    )


def _walk(a: Any, b: Any, path: str, found: list[Change]) -> None:
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            here = f"{path}.{key}" if path else str(key)
            if key not in b:
                found.append(Change(here, a[key], None, "removed"))
            elif key not in a:
                found.append(Change(here, None, b[key], "added"))
            else:
                _walk(a[key], b[key], here, found)
        return
    if _coded(a) and _coded(b) and (a or b):
        olds = {item["code"]: item for item in a}
        news = {item["code"]: item for item in b}
        _walk(olds, news, path, found)
        order_a = [c for c in olds if c in news]
        order_b = [c for c in news if c in olds]
        if order_a != order_b:
            found.append(Change(f"{path}.order", order_a, order_b))
        return
    found.append(Change(path, a, b))


@dataclass(frozen=True, slots=True)
class Diff:
    a: Shown
    b: Shown
    changes: list[Change]
    text: list[str] = field(default_factory=list)  # a unified diff of the two YAML files


def diff(call: Call, a: int, b: int) -> Diff:
    """What changed from version `a` to version `b`: by path, and as a text diff of their files."""

    def work(conn: Connection) -> Diff:
        old, new = _shown(conn, a), _shown(conn, b)
        text = difflib.unified_diff(
            old.yaml.splitlines(), new.yaml.splitlines(), f"v{a}", f"v{b}", lineterm="", n=2
        )
        return Diff(old, new, changes(old.rules, new.rules), list(text))

    return read(call, "rules.diff", f"v{a}..v{b}", work, audited=False)


# ---- checking a draft ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a draft is refused: where (its dotted path, its line in a text) and why (a stable reason)."""

    path: str
    reason: str
    line: int | None = None
    detail: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        where = "" if self.line is None else f"line {self.line}: "
        said = f" ({self.detail})" if self.detail else ""
        return f"{where}{self.path or 'rules'}: {self.reason}{said}"


class RulesRefusedError(ApiError):
    """A draft refused whole: 422 `invalid_rules` naming the first problem (`path`, `reason`, its `line`
    when the draft was a text), with every problem found in `problems`."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        details = {
            k: _printable(v) for k, v in first.params.items() if k not in ("message", "path", "reason")
        }
        if "code" in details:  # a bad tier or campaign code: `code` is the error's own
            details["value"] = details.pop("code")
        if first.line is not None:
            details["line"] = first.line
        path, reason = _printable(first.path), _printable(first.reason)
        message = _printable(first.detail or str(reason).replace("_", " "))
        super().__init__(
            422,
            "invalid_rules",
            f"{path}: {message}" if path else str(message),
            path=path,
            reason=reason,
            **details,
        )
        self.problems = problems


def _printable(value: object) -> str | int | bool | None:
    """As JSON can carry it: a lone surrogate (in a key a draft named) shown escaped."""
    if isinstance(value, bool | int) or value is None:
        return value
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def _problem(error: ClubError, line: int | None = None) -> Problem:
    params = dict(error.params)
    return Problem(
        path=str(params.get("path", "")),
        reason=str(params.get("reason", error.code)),
        line=line,
        detail=str(params.get("message", "")),
        params=params,
    )


def refused(error: ClubError) -> RulesRefusedError:
    """A refusal of the rule set's codec (sync.rules: its size, nesting, shape) as the use cases refuse."""
    return RulesRefusedError([_problem(error, error.params.get("line"))])  # type: ignore[arg-type]


def _of_file(error: rules_file.RulesFileError) -> Problem:
    return Problem(error.path, error.reason, error.line, error.detail)


def _storable(rules: RuleSet) -> ClubError | None:
    """What the server's tables cannot hold (sync.server.rules.check_storable), as the import finds it."""
    try:
        rule_sets.check_storable(rules)
    except ClubError as error:
        if error.code != "invalid_rules":
            raise
        return error
    return None


def check_yaml(text: str) -> tuple[RuleSet | None, list[Problem]]:
    """A YAML draft as `bashgah-server rules import` reads it: the rule set, or every problem found, each
    at its line."""
    rules, refused = rules_file.check(text, fmt="yaml")
    if rules is None:
        return None, [_of_file(e) for e in refused]
    error = _storable(rules)
    if error is not None:
        return None, [_of_file(rules_file.refusal(text, error))]
    return rules, []


def validate_yaml(text: str) -> list[Problem]:
    """The problems of a YAML draft, each at its line and path; none: it would be saved as it is."""
    return check_yaml(text)[1]


def check_body(body: object) -> tuple[RuleSet | None, list[Problem]]:
    """A body (sync.rules; the editor's form makes one) checked as the admin API checks it: every problem
    of its shape at once, then the domain's invariants and the server's tables, one at a time."""
    if not isinstance(body, dict):
        return None, [Problem("", "model_type", detail="the body must be a JSON object")]
    body = body | {"version": 0}
    try:
        RuleSetBody.model_validate(body)
    except ValidationError as exc:
        return None, [
            Problem(".".join(str(p) for p in e["loc"]), e["type"], detail=e["msg"])
            for e in exc.errors(include_url=False)
        ]
    try:
        rules = from_body(body)
    except ClubError as error:
        if error.code != "invalid_rules":
            raise
        return None, [_problem(error)]
    error = _storable(rules)
    return (None, [_problem(error)]) if error is not None else (rules, [])


# ---- saving --------------------------------------------------------------------------------------------


def created_by(actor: Actor) -> str:
    """How a version names who saved it (the command line, as it always has: `cli`)."""
    return "cli" if actor.kind == "console" else actor.audit_name


def save_version(
    conn: Connection, pub: Publisher, rules: RuleSet, by: str, text: str | None = None
) -> RuleSet:
    """sync.server.rules.save inside a use case's transaction; what the tables cannot hold is refused with
    RulesRefusedError (at its line in `text`, when the rule set was read from one)."""
    try:
        return rule_sets.save(conn, pub, rules, by)
    except ClubError as error:
        if error.code != "invalid_rules":
            raise
        line = None if text is None else rules_file.refusal(text, error).line
        raise RulesRefusedError([_problem(error, line)]) from None


def _note(note: str) -> str:
    cleaned = " ".join(note.split())
    if len(cleaned) > MAX_NOTE:
        raise ApiError(422, "note_too_long", f"a note is at most {MAX_NOTE} characters", limit=MAX_NOTE)
    return cleaned


def publish(call: Call, draft: RuleSet | str, note: str = "", *, base_version: int | None = None) -> RuleSet:
    """Save the draft (a rule set, or a YAML text) as the next version and publish it to terminals; returns
    it numbered. Refused whole (RulesRefusedError) if invalid; with `base_version`, refused (409
    `rules_changed`) if someone published since the publisher opened that version."""
    call.actor.require(Permission.RULES_PUBLISH)  # before the draft costs anything
    note = _note(note)
    text = draft if isinstance(draft, str) else None
    if isinstance(draft, str):
        rules, problems = check_yaml(draft)
        if rules is None:
            raise RulesRefusedError(problems)
    else:
        rules = draft

    def work(act: Act) -> RuleSet:
        before = rule_sets.latest_version(act.conn)
        if base_version is not None and before != base_version:
            raise ApiError(
                409,
                "rules_changed",
                f"version {before} was published since version {base_version} was opened",
                current=before,
            )
        saved = save_version(act.conn, act.pub, rules, created_by(act.actor), text)
        act.before, act.after = {"version": before}, {"version": saved.version}
        if note:
            act.detail["note"] = note
        return saved

    return change(call, Permission.RULES_PUBLISH, PUBLISH, "rule_set", work)


def put_tier(call: Call, tier: WireTier) -> WireTier:
    """One tier's table fields (names, rank, threshold, multiplier). Once the club has a rule set it holds
    the tiers, so this is a new version with the tier changed (what the table does not hold kept, a new
    tier's defaulted); before that, the tier table's row."""

    def work(act: Act) -> WireTier:
        conn = act.conn
        clash = conn.execute(
            select(TIER.c.code).where(TIER.c.rank == tier.rank, TIER.c.code != tier.code)
        ).first()
        if clash is not None:
            raise ApiError(409, "rank_taken", f"tier {clash.code} has this rank")
        old = next((t for t in club.tiers(conn) if t.code == tier.code), None)
        version = rule_sets.latest_version(conn)
        act.before = {"tier": None if old is None else old.model_dump(mode="json"), "version": version}
        act.after = {"tier": tier.model_dump(mode="json"), "version": version}
        if version > 0:  # the programme holds the tiers: a new version says so
            rules = _with_tier(rule_sets.current(conn), tier)
            act.after["version"] = save_version(conn, act.pub, rules, created_by(act.actor)).version
        else:
            club.put_tier(conn, act.pub, tier)
        return tier

    return change(call, Permission.RULES_PUBLISH, "tier.put", tier.code, work)


def _with_tier(rules: RuleSet, tier: WireTier) -> RuleSet:
    old = next((t for t in rules.tiers if t.code == tier.code), None)
    fields = {
        "name_fa": tier.name_fa,
        "name_en": tier.name_en,
        "rank": tier.rank,
        "threshold": tier.threshold_points,
        "multiplier_percent": tier.multiplier_percent,
    }
    new = replace(old, **fields) if old is not None else TierRule(code=tier.code, **fields)  # type: ignore[arg-type]
    tiers = sorted([t for t in rules.tiers if t.code != tier.code] + [new], key=lambda t: t.rank)
    return _valid(lambda: replace(rules, tiers=tuple(tiers)))


def _valid(make: Callable[[], RuleSet]) -> RuleSet:
    try:
        return make()
    except ClubError as error:
        if error.code != "invalid_rules":
            raise
        raise RulesRefusedError([_problem(error)]) from None


# ---- what a sale would earn ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quote:
    """What a sale earns, as a terminal prices it (app.domain.pricing.price_sale)."""

    rules_version: int
    branch_code: str
    tier: TierRule
    member_id: str | None
    amount_rials: int
    discount_rials: int
    at_us: int
    category: str | None
    points: int  # earned by the sale, campaigns included
    base_points: int  # what the branch and tier alone give
    campaigns: tuple[Campaign, ...]  # those that applied
    cashback_rials: int
    draft: bool = False  # priced under a draft, not a saved version


def quote(
    call: Call,
    *,
    branch_code: str,
    amount_rials: int,
    tier_code: str | None = None,
    member_id: str | None = None,
    discount_rials: int = 0,
    category: str | None = None,
    at_us: int | None = None,
    version: int | None = None,
    draft: RuleSet | None = None,
    audited: bool = False,
) -> Quote:
    """What a sale of `amount_rials` at a branch earns for a member (their tier now) or a tier, under the
    current version, another (`version`) or a draft; at `at_us` (default: now) for the campaigns. Refused
    as a terminal refuses it (422 `unknown_tier`, `unknown_category`, `discount_over_amount`)."""
    if (tier_code is None) == (member_id is None):
        raise ApiError(422, "tier_or_member", "name a member or a tier, one of them")
    if not 0 <= amount_rials <= MAX_RIALS:
        raise ApiError(422, "invalid_amount", "an amount of 0 to 10,000,000,000,000 rials")
    when = call.now_us if at_us is None else at_us

    def work(conn: Connection) -> Quote:
        if draft is not None:
            rules = draft
        else:
            try:
                rules = rule_sets.current(conn) if version is None else rule_sets.get(conn, version)
            except ClubError:
                raise _unknown_version(version or 0) from None
        code = tier_code if member_id is None else _tier_of(conn, member_id)
        # a member's quote leaves out the campaigns that hold the member out, as the terminal prices it
        sale = SaleContext(branch_code, code, amount_rials, discount_rials, when, category, member_id)
        try:
            priced = price_sale(rules, sale)
            tier = rules.tier(code)
        except ClubError as error:  # unknown_tier, unknown_category, discount_over_amount
            details = {k: _printable(v) for k, v in error.params.items() if k not in ("code", "message")}
            raise ApiError(422, error.code, error.code.replace("_", " "), **details) from None
        applied = tuple(c for c in rules.campaigns if c.code in priced.campaigns)
        return Quote(
            rules_version=priced.rules_version,
            branch_code=branch_code,
            tier=tier,
            member_id=member_id,
            amount_rials=amount_rials,
            discount_rials=discount_rials,
            at_us=when,
            category=category,
            points=priced.points,
            base_points=priced.base_points,
            campaigns=applied,
            cashback_rials=priced.cashback_rials,
            draft=draft is not None,
        )

    target = member_id or branch_code
    return read(call, "rules.quote", target, work, audited=audited or member_id is not None)


def _tier_of(conn: Connection, member_id: str) -> str:
    tier = conn.execute(select(MEMBER.c.tier_code).where(MEMBER.c.id == member_id)).scalar()
    if tier is None:
        raise ApiError(404, "unknown_member", "no member with this id", member_id=member_id)
    return str(tier)
