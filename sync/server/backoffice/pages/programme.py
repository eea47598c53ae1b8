# SPDX-License-Identifier: GPL-3.0-or-later
"""The programme's pages: the current rule set and its versions, one version, what changed between two, the
editor (a form for the common parts, the YAML for the whole) and what a sale would earn.

The editor's form names each field by its path in the rule set's body (`tiers.2.threshold`,
`branches.THR.earning.points_per_unit`), so a refusal's path is the field to mark. Amounts are typed in
Toman and kept in rials (× 10); dates are typed Jalali (1404/09/29) or ISO (2025-12-20), digits Persian or
Latin. Every check and every save is the use cases' (sync.server.club.programme): the form builds a body,
the YAML is a text, and both are checked and published exactly as the admin API and the import are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import jdatetime
from fastapi import APIRouter, Depends, Query
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from app.domain.digits import to_latin_digits
from app.domain.money import MAX_RIALS, RIALS_PER_TOMAN
from app.domain.programme import RuleSet
from app.format import parse_day
from sync.protocol import WireBranch
from sync.rules import to_body
from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.texts import error_text
from sync.server.backoffice.web import is_htmx, render
from sync.server.club import programme
from sync.server.club.access import Permission
from sync.server.errors import ApiError

router = APIRouter(prefix=PREFIX + "/programme")
Reader = Annotated[Desk, Depends(Needs(Permission.READ))]
Editor = Annotated[Desk, Depends(Needs(Permission.RULES_PUBLISH))]
NEW = "new"  # the form key of the campaign or reward being added
_TOMAN = re.compile(r"^(\d{1,13})(?:\.(\d))?$")
_GROUPING = str.maketrans("", "", ",٬، _'")
MAX_FIELD = 200  # characters of any one form value read

# Why a draft is refused, by the refusal's reason (sync.rules, app.domain.programme, sync.rules_file);
# the Persian is in texts.FA. An unlisted reason is shown as its code.
REASONS = {
    "not_above_previous_tier": "must be above the tier before it",
    "entry_tier_threshold_not_zero": "the first tier's threshold must be 0",
    "ranks_not_increasing": "ranks must rise from one tier to the next",
    "threshold_or_multiplier": "the threshold must be 0 or more and the multiplier 0 to 1000 %",
    "out_of_range": "is outside the allowed range",
    "negative": "cannot be negative",
    "below_one": "must be at least 1",
    "before_start": "the end is before the start",
    "multiplier_or_bonus": "the multiplier must be 100 to 1000 % and the bonus 0 or more",
    "unknown": "names something the rule set does not have",
    "bad_code": "a code is Latin letters, digits, _ and -, at most 32 characters",
    "duplicate_code": "this code is used twice",
    "empty": "cannot be empty",
    "window_or_grace": "the window must be at least a day and the grace 0 or more",
    "price_or_duration": "the price and the duration must be at least 1",
    "points_discount": "the points step, the percent per step or the maximum discount is out of range",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "missing": "is required",
    "extra_forbidden": "is not a field of the rule set",
    "string_type": "must be text",
    "string_too_long": "is too long",
    "too_long": "has too many entries",
    "bool_type": "must be true or false",
    "enum": "is not one of the allowed values",
    "date_type": "must be a date",
    "date_parsing": "must be a date",
    "date_from_datetime_parsing": "must be a date",
    "greater_than_equal": "is too small",
    "less_than_equal": "is too large",
    "model_type": "must be a mapping of fields",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "yaml_syntax": "is not valid YAML",
    "json_syntax": "is not valid JSON",
    "duplicate_key": "is written twice",
    "unstorable_text": "holds a character that cannot be stored",
    "nesting_too_deep": "nests too deep",
    "alias_limit": "uses too many YAML aliases",
    "value_too_long": "holds a value that is too long",
    "too_large": "is too large",
    "not_utf8": "is not UTF-8 text",
    "empty_text": "is empty",
    "toman": "must be an amount in Toman",
    "date": "must be a date (1404/09/29 or 2025-12-20)",
}


# ---- reading pages ----------------------------------------------------------------------------------


def _page_of_versions(desk: Desk, before: int | None) -> programme.Versions:
    return programme.versions(desk.call, before=before)


@router.get("")
def overview(desk: Reader, before: Annotated[int | None, Query(ge=1, le=2**31)] = None) -> Response:
    shown = programme.version(desk.call)
    return render(
        desk,
        "programme/index.html",
        page="programme",
        shown=shown,
        listed=_page_of_versions(desk, before),
        may_publish=desk.may(Permission.RULES_PUBLISH),
    )


@router.get("/versions/{n}")
def one_version(desk: Reader, n: int) -> Response:
    if not 0 <= n <= 2**31:
        raise ApiError(404, "unknown_rules_version", f"no rule-set version {n}")
    shown = programme.version(desk.call, n)
    return render(desk, "programme/version.html", page="programme", shown=shown)


@router.get("/diff")
def difference(
    desk: Reader,
    a: Annotated[int | None, Query(ge=0, le=2**31)] = None,
    b: Annotated[int | None, Query(ge=0, le=2**31)] = None,
) -> Response:
    current = programme.version(desk.call).current
    new = current if b is None else b
    old = max(new - 1, 0) if a is None else a
    found = programme.diff(desk.call, old, new)
    return render(desk, "programme/diff.html", page="programme", found=found, a=old, b=new, current=current)


# ---- the editor ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mark:
    """A problem as a page shows it: where (a field, or a group of fields) and the sentence."""

    id: str
    field: str | None  # the form field it names exactly, if any
    path: str
    line: int | None
    text: str
    detail: str
    excerpt: str = ""  # the YAML line it is at


@dataclass(slots=True)
class Marks:
    items: list[Mark] = field(default_factory=list)

    def at(self, name: str) -> Mark | None:
        """The problem a field shows: its own, or one of a group it belongs to (`tiers.2` marks them all)."""
        for mark in self.items:
            if mark.path == name or (mark.path and name.startswith(mark.path + ".")):
                return mark
        return None

    def unplaced(self, names: set[str]) -> list[Mark]:
        return [m for m in self.items if m.field is None or m.field not in names]


def field_id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _reason(desk: Desk, reason: str) -> str:
    english = REASONS.get(reason)
    return desk.gettext(english) if english else reason


def _marks(desk: Desk, problems: list[programme.Problem], names: set[str], text: str = "") -> Marks:
    lines = text.splitlines()
    marks = Marks()
    for i, p in enumerate(problems):
        excerpt = lines[p.line - 1].strip() if p.line and 0 < p.line <= len(lines) else ""
        marks.items.append(
            Mark(
                id=f"problem-{i}",
                field=p.path if p.path in names else None,
                path=p.path,
                line=p.line,
                text=_reason(desk, p.reason),
                detail=p.detail[:300],
                excerpt=excerpt[:200],
            )
        )
    return marks


@dataclass(slots=True)
class Draft:
    """The common parts' form, read: the body it makes from the version it was opened on, what each field
    holds as typed, and where each body path shows in the form."""

    body: dict[str, Any]
    typed: dict[str, Any]
    problems: list[programme.Problem]
    renamed: dict[str, str]  # body prefix → form prefix (campaigns.2 → campaigns.new, after a removal)

    def put(self, target: dict[str, Any], key: str, form: FormData, name: str, kind: str = "number") -> None:
        """Field `name` of the form into `target[key]` as `kind` reads it. A value that does not read is a
        problem at its field, and the value the form was opened with stays, so the rest is still checked."""
        if name not in form:
            return
        raw = _text(form, name)
        if kind == "text" or (kind == "optional" and raw == ""):
            target[key] = raw if kind == "text" else None
            return
        value = _READERS[kind](raw)
        if value is None:
            self.problems.append(programme.Problem(name, _UNREAD[kind], detail=raw[:60]))
        else:
            target[key] = value

    def form_path(self, path: str) -> str:
        for body_prefix, form_prefix in self.renamed.items():
            if path == body_prefix or path.startswith(body_prefix + "."):
                return form_prefix + path[len(body_prefix) :]
        return path


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value[:MAX_FIELD].strip() if isinstance(value, str) else ""


def whole_number(raw: str) -> int | None:
    """A whole number as typed (Persian digits, grouping), or None."""
    plain = to_latin_digits(raw).translate(_GROUPING)
    return int(plain) if re.fullmatch(r"-?\d{1,16}", plain) else None


def _iso_day(raw: str) -> str | None:
    day = parse_day(raw)
    return None if day is None else day.isoformat()


def toman_to_rials(raw: str) -> int | None:
    """Toman as typed (Persian digits, grouping, one decimal for a rial) → rials; None if it is not one."""
    found = _TOMAN.fullmatch(to_latin_digits(raw).translate(_GROUPING))
    if found is None:
        return None
    rials = int(found.group(1)) * RIALS_PER_TOMAN + int(found.group(2) or 0)
    return rials if rials <= MAX_RIALS else None


def rials_as_toman(rials: int) -> str:
    whole, rest = divmod(rials, RIALS_PER_TOMAN)
    return str(whole) if rest == 0 else f"{whole}.{rest}"


def _day_text(value: str, lang: str) -> str:
    """An ISO date of the body as the form shows it: Jalali in Persian, ISO in English."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    if lang != "fa":
        return value
    jalali = jdatetime.date.fromgregorian(date=day)
    return f"{jalali.year}/{jalali.month:02d}/{jalali.day:02d}"


_READERS: dict[str, Callable[[str], Any]] = {
    "number": whole_number,
    "optional": whole_number,
    "toman": toman_to_rials,
    "date": _iso_day,
}
_UNREAD = {"number": "int_type", "optional": "int_type", "toman": "toman", "date": "date"}


def _branch_codes(rules: RuleSet, branches: list[WireBranch]) -> list[str]:
    codes = [b.code for b in branches]
    return codes + [code for code, _ in rules.branches if code not in codes]


def form_values(rules: RuleSet, branches: list[WireBranch], lang: str) -> dict[str, Any]:
    """What the form shows for a rule set: each field's text, by its name."""
    body = to_body(rules)
    values: dict[str, Any] = {}
    for i, tier in enumerate(body["tiers"]):
        for name in ("threshold", "multiplier_percent", "discount_percent"):
            values[f"tiers.{i}.{name}"] = str(tier[name])
    for code in _branch_codes(rules, branches):
        earning = rules.branch_rules(code).earning
        here = f"branches.{code}.earning"
        values[f"{here}.points_per_unit"] = str(earning.points_per_unit)
        values[f"{here}.rials_per_unit"] = rials_as_toman(earning.rials_per_unit)
        values[f"{here}.min_sale_rials"] = rials_as_toman(earning.min_sale_rials)
        cap = earning.max_points_per_sale
        values[f"{here}.max_points_per_sale"] = "" if cap is None else str(cap)
    for i, c in enumerate(body["campaigns"]):
        here = f"campaigns.{i}"
        values |= {f"{here}.{k}": str(c[k]) for k in ("code", "name_fa", "name_en", "multiplier_percent")}
        values[f"{here}.starts"] = _day_text(c["starts"], lang)
        values[f"{here}.ends"] = _day_text(c["ends"], lang)
        values[f"{here}.branches"] = list(c["branches"])
        values[f"{here}.holdout_percent"] = str(c.get("holdout_percent", 0))  # the body has it when set
    for i, r in enumerate(body["rewards"]):
        here = f"rewards.{i}"
        values |= {f"{here}.{k}": str(r[k]) for k in ("code", "name_fa", "name_en", "points")}
        for code, units in r["stock"].items():
            values[f"{here}.stock.{code}"] = str(units)
    return values


def _typed(form: FormData) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for key in form:
        if key.endswith(".shown"):  # a campaign's branch boxes were shown: none ticked is an empty list
            typed.setdefault(key.removesuffix(".shown") + ".branches", [])
        values = [v[:MAX_FIELD] for v in form.getlist(key) if isinstance(v, str)]
        typed[key] = values if key.endswith(".branches") else (values[0] if values else "")
    return typed


def read_form(rules: RuleSet, branches: list[WireBranch], form: FormData) -> Draft:
    """The body the common parts' form makes: the opened version's body with the typed fields put in."""
    body = to_body(rules)
    draft = Draft(body, _typed(form), [], {})
    for i, tier in enumerate(body["tiers"]):
        for name in ("threshold", "multiplier_percent", "discount_percent"):
            draft.put(tier, name, form, f"tiers.{i}.{name}")
    codes = _branch_codes(rules, branches)
    for code in codes:
        scenario = programme.scenario_body(rules, code)
        here = f"branches.{code}.earning"
        earning = dict(scenario["earning"])
        draft.put(earning, "points_per_unit", form, f"{here}.points_per_unit")
        draft.put(earning, "rials_per_unit", form, f"{here}.rials_per_unit", "toman")
        draft.put(earning, "min_sale_rials", form, f"{here}.min_sale_rials", "toman")
        draft.put(earning, "max_points_per_sale", form, f"{here}.max_points_per_sale", "optional")
        if earning != scenario["earning"]:  # a branch left as it prices is left as it was in the body
            body["branches"][code] = {"earning": earning, "redemption": scenario["redemption"]}
    _read_list(draft, form, "campaigns", lambda here, item: _campaign(draft, form, here, item, codes))
    _read_list(draft, form, "rewards", lambda here, item: _reward(draft, form, here, item, codes))
    return draft


def _read_list(draft: Draft, form: FormData, name: str, read: Callable[[str, dict[str, Any]], None]) -> None:
    """Campaigns or rewards: each kept unless ticked for removal, then the new one if its code is typed."""
    kept = []
    for i, item in enumerate(draft.body[name]):
        here = f"{name}.{i}"
        if not _text(form, f"{here}.remove"):
            read(here, item)
            kept.append((str(i), item))
    if _text(form, f"{name}.{NEW}.code") or _text(form, f"{name}.{NEW}.name_fa"):
        item = {"code": _text(form, f"{name}.{NEW}.code")}
        read(f"{name}.{NEW}", item)
        kept.append((NEW, item))
    draft.body[name] = [item for _, item in kept]
    draft.renamed |= {f"{name}.{i}": f"{name}.{key}" for i, (key, _) in enumerate(kept) if str(i) != key}


def _campaign(draft: Draft, form: FormData, here: str, campaign: dict[str, Any], codes: list[str]) -> None:
    for name in ("name_fa", "name_en"):
        draft.put(campaign, name, form, f"{here}.{name}", "text")
    for name in ("starts", "ends"):
        draft.put(campaign, name, form, f"{here}.{name}", "date")
    draft.put(campaign, "multiplier_percent", form, f"{here}.multiplier_percent")
    draft.put(campaign, "holdout_percent", form, f"{here}.holdout_percent", "optional")  # empty: none
    if campaign.get("holdout_percent") in (None, 0):
        campaign.pop("holdout_percent", None)  # as the body writes it: only when set
    if f"{here}.shown" in form:  # the branches' boxes were on the page: none ticked means every branch
        ticked = [v for v in form.getlist(f"{here}.branches") if isinstance(v, str)]
        campaign["branches"] = [code for code in codes if code in ticked]


def _reward(draft: Draft, form: FormData, here: str, reward: dict[str, Any], codes: list[str]) -> None:
    for name in ("name_fa", "name_en"):
        draft.put(reward, name, form, f"{here}.{name}", "text")
    draft.put(reward, "points", form, f"{here}.points")
    stock = dict(reward.get("stock", {}))
    for code in codes:
        key = f"{here}.stock.{code}"
        if key in form and _text(form, key) == "":
            stock.pop(code, None)  # not offered at this branch
        else:
            draft.put(stock, code, form, key)
    reward["stock"] = stock


def _editor_page(
    desk: Desk,
    mode: str,
    *,
    status: int = 200,
    shown: programme.Shown | None = None,
    typed: dict[str, Any] | None = None,
    yaml_text: str | None = None,
    problems: list[programme.Problem] | None = None,
    changed: list[programme.Change] | None = None,
    refusal: str = "",
    note: str = "",
) -> Response:
    shown = shown or programme.version(desk.call)
    values = form_values(shown.rules, shown.branches, desk.lang) | (typed or {})
    text = shown.yaml if yaml_text is None else yaml_text
    names = set(values)
    marks = _marks(desk, problems or [], names, text if mode == "yaml" else "")
    template = "programme/edit.html"
    if is_htmx(desk):
        template = "programme/_yaml_editor.html" if mode == "yaml" else "programme/_form_editor.html"
    return render(
        desk,
        template,
        status=status,
        page="programme",
        mode=mode,
        shown=shown,
        codes=_branch_codes(shown.rules, shown.branches),
        values=values,
        yaml_text=text,
        marks=marks,
        unplaced=marks.unplaced(names),
        changed=changed,
        refusal=refusal,
        note=note,
        field_id=field_id,
        new=NEW,
    )


def _mode(value: str) -> str:
    return "yaml" if value == "yaml" else "form"


@router.get("/edit")
def edit(desk: Editor, mode: Annotated[str, Query(max_length=8)] = "form") -> Response:
    return _editor_page(desk, _mode(mode))


def _opened(desk: Desk, form: FormData) -> programme.Shown:
    """The version the editor was opened on (a newer one is refused at publishing, not silently merged)."""
    base = whole_number(_text(form, "base_version"))
    return programme.version(desk.call, base if base is not None and base >= 0 else None)


def _checked(
    desk: Desk, form: FormData, mode: str
) -> tuple[programme.Shown, RuleSet | None, list[programme.Problem], Draft | None]:
    shown = _opened(desk, form)
    if mode == "yaml":
        text = form.get("yaml")
        text = text if isinstance(text, str) else ""
        if not text.strip():
            return shown, None, [programme.Problem("", "empty_text")], None
        rules, problems = programme.check_yaml(text)
        return shown, rules, problems, None
    draft = read_form(shown.rules, shown.branches, form)
    rules, found = programme.check_body(draft.body)
    typed_wrong = {p.path for p in draft.problems}  # a value the form could not read: said once, as such
    placed = [_at(p, draft.form_path(p.path)) for p in found]
    problems = draft.problems + [p for p in placed if p.path not in typed_wrong]
    return shown, (rules if not problems else None), problems, draft


def _at(problem: programme.Problem, path: str) -> programme.Problem:
    return programme.Problem(path, problem.reason, problem.line, problem.detail, problem.params)


def _yaml_of(form: FormData) -> str | None:
    text = form.get("yaml")
    return text if isinstance(text, str) else None


@router.post("/edit/validate")
async def validate(desk: Editor) -> Response:
    form = await desk.request.form()
    mode = _mode(_text(form, "mode"))
    shown, rules, problems, draft = _checked(desk, form, mode)
    changed = programme.changes(shown.rules, rules) if rules is not None else None
    return _editor_page(  # 200 either way: the answer is the check (and htmx swaps only a 2xx)
        desk,
        mode,
        shown=shown,
        typed=draft.typed if draft else None,
        yaml_text=_yaml_of(form),
        problems=problems,
        changed=changed,
        note=_text(form, "note"),
    )


@router.post("/edit/publish")
async def publish(desk: Editor) -> Response:
    form = await desk.request.form()
    mode = _mode(_text(form, "mode"))
    shown, rules, problems, draft = _checked(desk, form, mode)
    note = form.get("note")
    note = note if isinstance(note, str) else ""
    page = {
        "shown": shown,
        "typed": draft.typed if draft else None,
        "yaml_text": _yaml_of(form),
        "note": note,
    }
    if rules is None:
        return _editor_page(desk, mode, status=422, problems=problems, **page)
    try:
        saved = programme.publish(desk.call, rules, note, base_version=shown.info.version)
    except programme.RulesRefusedError as refused:
        return _editor_page(desk, mode, status=422, problems=refused.problems, **page)
    except ApiError as error:
        if error.code == "forbidden":
            raise
        text = error_text(error.code, desk.lang, error.message)
        return _editor_page(desk, mode, status=error.status, refusal=text, **page)
    return RedirectResponse(f"{PREFIX}/programme/versions/{saved.version}?published=1", status_code=303)


# ---- what a sale would earn ---------------------------------------------------------------------------


@dataclass(slots=True)
class SaleForm:
    member_id: str = ""
    tier_code: str = ""
    branch_code: str = ""
    amount: str = ""
    category: str = ""
    day: str = ""
    version: str = ""


def _preview_page(
    desk: Desk,
    sale: SaleForm,
    *,
    status: int = 200,
    quoted: programme.Quote | None = None,
    problems: dict[str, str] | None = None,
    refusal: str = "",
    draft_mode: bool = False,
) -> Response:
    shown = programme.version(desk.call)
    fragment = is_htmx(desk)
    return render(
        desk,
        "programme/_preview_form.html" if fragment else "programme/preview.html",
        status=200 if fragment else status,  # htmx swaps only a 2xx: the refusal is in the fragment
        page="programme",
        shown=shown,
        sale=sale,
        quoted=quoted,
        sale_problems=problems or {},
        sale_refusal=refusal,
        draft_mode=draft_mode,
        field_id=field_id,
    )


@router.get("/preview")
def preview_form(desk: Reader) -> Response:
    return _preview_page(desk, SaleForm())


@router.post("/preview")
async def preview(desk: Reader) -> Response:
    form = await desk.request.form()
    sale = SaleForm(**{name: _text(form, name) for name in SaleForm.__dataclass_fields__})
    _ = desk.gettext
    problems: dict[str, str] = {}
    rials = toman_to_rials(sale.amount)
    if rials is None:
        problems["amount"] = _("Type the amount in Toman, e.g. 250000.")
    if bool(sale.member_id) == bool(sale.tier_code):
        problems["member_id"] = _("Give a member's id or choose a tier, one of them.")
    day = parse_day(sale.day) if sale.day else None
    if sale.day and day is None:
        problems["day"] = _("Type a date, e.g. 1404/09/30 or 2025-12-21.")
    version = whole_number(sale.version) if sale.version else None
    if sale.version and (version is None or version < 0):
        problems["version"] = _("A version is a whole number.")
    draft = None
    text = _yaml_of(form)
    draft_mode = text is not None
    if text is not None and text.strip():
        draft = programme.check_yaml(text)[0]
        if draft is None:
            problems["yaml"] = _("The draft has problems: validate it first.")
    if problems:
        return _preview_page(desk, sale, status=422, problems=problems, draft_mode=draft_mode)
    try:
        at_us = None
        if day is not None:  # noon of that day in the club's calendar: the campaigns of that day
            calendar = draft or programme.version(desk.call, version).rules
            at_us = calendar.day_start_us(day) + 12 * 3600 * 1_000_000
        quoted = programme.quote(
            desk.call,
            branch_code=sale.branch_code,
            amount_rials=rials or 0,
            tier_code=sale.tier_code or None,
            member_id=sale.member_id or None,
            category=sale.category or None,
            at_us=at_us,
            version=version,
            draft=draft,
        )
    except ApiError as error:
        if error.code == "forbidden":
            raise
        refusal = error_text(error.code, desk.lang, error.message)
        return _preview_page(desk, sale, status=422, refusal=refusal, draft_mode=draft_mode)
    return _preview_page(desk, sale, quoted=quoted, draft_mode=draft_mode)
