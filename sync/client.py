# SPDX-License-Identifier: GPL-3.0-or-later
"""The terminal's sync client: push the outbox, pull changes, move photos, keep offline grants fresh,
and ask the server to authorise a spend now.

Qt-free. Threading: one `SyncClient` per terminal; its methods run on whatever worker thread calls them
(a network worker runs `sync_round`, the use-case worker may call `authorize_spend` at the same time: it
has its own HTTP session, and pushes never overlap). A failed round reports whether it is worth retrying,
and the caller's loop waits as a `Backoff` says (`run` is such a loop). The one wait inside a round is
`_call`'s: a request the server did not take (connection refused or reset, 502/503/504, 429) is sent
again a few times (`Retries`), after a wait drawn with full jitter and never sooner than the server's
Retry-After, so that hundreds of terminals coming back after an outage do not knock in step; a spend is
never retried (a cashier is waiting: it is decided offline instead).

Resumable after a crash at any point: nothing is acknowledged before the server answered, and a batch
sent again is answered as duplicates; answers are written in one transaction per response; a pull page
and the cursor after it commit together (app.store.replica).
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import operator
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from pydantic import BaseModel, ValidationError

from app import __version__
from app.domain.changes import PulledPage
from app.domain.errors import ClubError
from app.domain.grants import wants_refresh
from app.domain.ports import Clock, SpendAuthorisation
from app.store import chip_keys, grants, ledger, members, outbox, replica, sync_state, wrap_key
from app.store.database import Database, driver
from app.store.device_token import read_token
from app.store.grants import StoredGrant
from sync.protocol import (
    BACKLOG_HEADER,
    DEFAULT_PULL_LIMIT,
    MAX_GRANT_MEMBERS,
    MAX_PULL_LIMIT,
    MAX_PUSH_ENTRIES,
    MAX_PUSH_ITEMS,
    PHOTO_CHUNK_BYTES,
    VERSION_HEADER,
    CardItem,
    CardTapItem,
    ChipKeysResponse,
    EnrollPreviewRequest,
    EnrollPreviewResponse,
    EnrollRequest,
    EnrollResponse,
    EventItem,
    Grant,
    GrantsRequest,
    GrantsResponse,
    InvitationItem,
    MemberItem,
    Outcome,
    PhoneCodeItem,
    PushRequest,
    PushResponse,
    RevocationItem,
    SpendRequest,
    UploadStatus,
    WireEntry,
    grant_signature_holds,
)
from sync.translate import page_from_json

DEFAULT_TIMEOUTS = (5.0, 30.0)  # connect, read (seconds)
SPEND_TIMEOUTS = (2.0, 4.0)  # a cashier and a customer are waiting
PHOTO_DOWNLOADS_PER_ROUND = 20
MAX_PHOTO_ATTEMPTS = 5
GRANT_RECENT_US = 7 * 24 * 3600 * 1_000_000  # members sold to this week get grants kept fresh
MAX_GRANT_REQUESTS_PER_ROUND = 5
_ITEM_MODELS: dict[str, type[BaseModel]] = {
    outbox.MEMBER: MemberItem,
    outbox.CARD: CardItem,
    outbox.CARD_REVOCATION: RevocationItem,
    outbox.EVENT: EventItem,
    outbox.INVITATION: InvitationItem,
    outbox.PHONE_CODE: PhoneCodeItem,
    outbox.CARD_TAP: CardTapItem,
}
_FATAL = ("not_enrolled", "device_revoked")
# no answer from the club (a proxy without its server, a server too busy): safe to send again, as every
# device request is idempotent (a push twice is answered as duplicates)
_NOT_TAKEN = frozenset({502, 503, 504})
# the server's refusals of one photo: it is set aside with the reason, the others go on
_PHOTO_REFUSALS = ("hash_mismatch", "not_a_jpeg", "photo_not_permitted")
# A spend's answers that say nothing about the member's points: the store refused a write it should not
# have (an older server answered copies of one spend so), so ask once more, then decide offline.
_SPEND_STORAGE_HICCUP = "constraint_violation"


class SyncError(ClubError):
    """A sync step failed: `retryable` for a network failure or a server error (5xx), else final for now
    (401 `not_enrolled`, 403 `device_revoked`, another 4xx `sync_refused` with `status` and `reason`,
    the server's error code). `transient`: the server did not take the request (no connection, 502/503/504,
    429), so sending it again soon is safe and useful; `retry_after` (seconds) is when it asked to be
    asked again, if it said."""

    def __init__(self, code: str, *, retryable: bool = False, transient: bool = False, **params: Any) -> None:
        super().__init__(code, **params)
        self.retryable = retryable
        self.transient = transient

    @property
    def retry_after_s(self) -> float:
        return float(self.params.get("retry_after") or 0)

    @property
    def server_code(self) -> str | None:
        return self.params.get("reason")


class SystemClock:
    def now_us(self) -> int:
        return time.time_ns() // 1000


class Backoff:
    """Exponential backoff with full jitter: after the n-th failure in a row, wait a random time between
    0 and min(cap, base · 2ⁿ). `random` and `clock` are injectable (tests, and a deterministic loop)."""

    def __init__(
        self,
        base_s: float = 1.0,
        cap_s: float = 300.0,
        random_fn: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.random = random_fn
        self.clock = clock
        self.failures = 0
        self.next_at = clock()

    def failed(self, retry_after_s: float = 0.0) -> float:
        """Another failure: how long to wait before the next attempt. A server that said when to come back
        (Retry-After) is not asked sooner: the jittered wait comes on top of it, so that the terminals it
        told the same thing spread out after it instead of all knocking at that second."""
        delay = max(0.0, retry_after_s) + self.random() * min(self.cap_s, self.base_s * 2**self.failures)
        self.failures = min(self.failures + 1, 62)
        self.next_at = self.clock() + delay
        return delay

    def succeeded(self) -> None:
        self.failures = 0
        self.next_at = self.clock()

    def wait_s(self) -> float:
        return max(0.0, self.next_at - self.clock())


@dataclass(frozen=True, slots=True)
class Retries:
    """How `SyncClient._call` sends again a request the server did not take: at most `attempts` tries in
    all, the waits between them as a `Backoff(base_s, cap_s)` draws them (full jitter, Retry-After
    honoured), and no more than `budget_s` waited in one call: past that the error goes to the caller,
    whose round fails and whose loop backs off for longer."""

    attempts: int = 4
    base_s: float = 0.5
    cap_s: float = 8.0
    budget_s: float = 20.0


NO_RETRIES = Retries(attempts=1)


# ---- what a step did ------------------------------------------------------------------------------


@dataclass(slots=True)
class PushSummary:
    batches: int = 0
    pushed: int = 0  # accepted entries and items
    duplicates: int = 0
    rejected: int = 0
    conflicts: int = 0
    chain_problems: int = 0

    def count(self, outcome: str) -> None:
        if outcome == Outcome.ACCEPTED:
            self.pushed += 1
        elif outcome == Outcome.DUPLICATE:
            self.duplicates += 1
        elif outcome == Outcome.CONFLICT:
            self.conflicts += 1
        else:
            self.rejected += 1


@dataclass(slots=True)
class PullSummary:
    pages: int = 0
    changes: int = 0
    acknowledged: int = 0
    problems: int = 0
    cursor: int = 0


@dataclass(slots=True)
class RoundSummary:
    push: PushSummary = field(default_factory=PushSummary)
    pull: PullSummary = field(default_factory=PullSummary)
    photos_up: int = 0
    photos_down: int = 0
    grants: int = 0
    chip_keys: int | None = None  # keys held after this round's fetch; None: not fetched (an older server)
    errors: list[str] = field(default_factory=list)
    error: SyncError | None = None  # the one that stopped the round

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def fatal(self) -> bool:
        """The server will not talk to this terminal: retrying will not help."""
        return self.error is not None and self.error.code in _FATAL

    def as_dict(self) -> dict[str, Any]:
        return {
            "pushed": self.push.pushed,
            "duplicates": self.push.duplicates,
            "rejected": self.push.rejected,
            "conflicts": self.push.conflicts,
            "pulled": self.pull.changes,
            "cursor": self.pull.cursor,
            "photos_up": self.photos_up,
            "photos_down": self.photos_down,
            "grants": self.grants,
            "chip_keys": self.chip_keys,
            "errors": list(self.errors),
            "ok": self.ok,
        }


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the status bar shows; a Qt worker turns changes of it into signals."""

    enrolled: bool
    online: bool | None  # None: not tried since this client started
    last_sync_us: int | None  # the last pull that reached the end of the list
    unsynced: int  # own entries and items the server has not answered
    rejected: int  # own entries and items set aside (rejected or conflicting)
    cursor: int
    synced: bool  # nothing unsent, and the cursor covers every own entry the server sequenced
    clock_behind: bool
    last_error: str | None


def read_status(db: Database, online: bool | None = None) -> SyncStatus:
    with db.read() as conn:
        state = sync_state.state(conn)
        device_id = state.device_id or ""
        unsynced = sync_state.unanswered_entries(conn, device_id) + outbox.pending_count(conn)
        rejected = len(sync_state.set_aside_entries(conn, device_id)) + outbox.set_aside_count(conn)
        own_top = max(sync_state.highest_own_server_seq(conn, device_id), outbox.highest_server_seq(conn))
    enrolled = state.server_url is not None
    return SyncStatus(
        enrolled=enrolled,
        online=online,
        last_sync_us=state.last_pull_us,
        unsynced=unsynced,
        rejected=rejected,
        cursor=state.cursor,
        synced=enrolled and unsynced == 0 and state.cursor >= own_top,
        clock_behind=state.clock_behind,
        last_error=state.last_error,
    )


# ---- HTTP ------------------------------------------------------------------------------------------


def _gzip_json(body: BaseModel) -> bytes:
    return gzip.compress(body.model_dump_json().encode(), compresslevel=6)


def _answer(response: requests.Response) -> requests.Response:
    """The response if it is a success, else the SyncError it means."""
    status = response.status_code
    if status < 400:
        return response
    if status in _NOT_TAKEN:  # a proxy without its server, or a server too busy: it asks to come back
        later = {"retry_after": _retry_after(response)} if "Retry-After" in response.headers else {}
        raise SyncError(
            "server_unreachable", retryable=True, transient=True, detail=f"HTTP {status}", **later
        )
    if status >= 500:
        raise SyncError("server_unreachable", retryable=True, detail=f"HTTP {status}")
    if status == 429:  # too many failed attempts from this address: later, not never
        raise SyncError(
            "server_unreachable",
            retryable=True,
            transient=True,
            detail="HTTP 429",
            reason="too_many_attempts",
            retry_after=_retry_after(response),
        )
    detail: dict[str, Any] = {}
    try:
        body = response.json()
        detail = body.get("detail") if isinstance(body.get("detail"), dict) else {}
    except ValueError:
        pass
    code = str(detail.get("code", "http_error"))
    extra = {k: v for k, v in detail.items() if k not in ("code", "message")}
    if status == 401 and code != "invalid_enrollment_code":
        raise SyncError("not_enrolled", reason=code)
    if status == 403:
        raise SyncError("device_revoked", reason=code)
    extra.pop("reason", None)
    raise SyncError("sync_refused", status=status, detail=code, reason=code, **extra)


def _retry_after(response: requests.Response) -> int:
    """The server's Retry-After in whole seconds (at least 1)."""
    try:
        return max(1, int(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1


def _parse(model: type[Any] | Callable[[bytes], Any], response: requests.Response) -> Any:
    """The answer validated by a wire model (or read by a function that validates as one does)."""
    read = model.model_validate_json if isinstance(model, type) else model
    try:
        return read(response.content)
    except ValidationError as error:  # a cut or garbled answer: as if it never came
        raise SyncError(
            "server_unreachable", retryable=True, detail=f"garbled answer: {error.title}"
        ) from None


def _request(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: tuple[float, float],
    **kwargs: Any,
) -> requests.Response:
    try:
        return _answer(session.request(method, url, timeout=timeout, **kwargs))
    except requests.ConnectionError as error:
        # refused, reset or a connect timeout: nothing was taken, or a push is answered as duplicates. A read
        # timeout is not sent again at once: the server is working on it, and another copy adds to the load
        raise SyncError(
            "server_unreachable", retryable=True, transient=True, detail=type(error).__name__
        ) from None
    except requests.RequestException as error:
        raise SyncError("server_unreachable", retryable=True, detail=type(error).__name__) from None


# the preview's refusals, each the ClubError the setup explains (a code that exists is told apart)
_PREVIEW_REFUSALS = {
    "invalid_enrollment_code": "enrollment_code_unknown",
    "enrollment_code_used": "enrollment_code_used",
    "enrollment_code_expired": "enrollment_code_expired",
}


class HttpEnrollment:
    """POST /v1/enroll and /v1/enroll/preview (app.services.device_enrollment's EnrollmentServer)."""

    def __init__(
        self, session: requests.Session | None = None, timeouts: tuple[float, float] = DEFAULT_TIMEOUTS
    ):
        self.session = session or requests.Session()
        self.timeouts = timeouts

    def enroll(self, server_url: str, request: EnrollRequest) -> EnrollResponse:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        try:
            response = _request(
                self.session,
                "POST",
                server_url + "/v1/enroll",
                timeout=self.timeouts,
                data=_gzip_json(request),
                headers=headers,
            )
        except SyncError as error:
            if error.server_code == "invalid_enrollment_code":
                raise ClubError("enrollment_code_refused") from None
            if error.server_code == "too_many_attempts":
                raise ClubError(
                    "enrollment_too_many_attempts", retry_after=error.params["retry_after"]
                ) from None
            raise
        return _parse(EnrollResponse, response)  # type: ignore[no-any-return]

    def preview(self, server_url: str, request: EnrollPreviewRequest) -> EnrollPreviewResponse:
        """Whose code it is, spending nothing. ClubError `enrollment_code_unknown`, `_used`, `_expired`,
        `enrollment_too_many_attempts`; SyncError `server_unreachable` as any request."""
        try:
            response = _request(
                self.session,
                "POST",
                server_url + "/v1/enroll/preview",
                timeout=self.timeouts,
                data=request.model_dump_json().encode(),
                headers={"Content-Type": "application/json"},
            )
        except SyncError as error:
            refusal = _PREVIEW_REFUSALS.get(error.server_code or "")
            if refusal is not None:
                raise ClubError(refusal) from None
            if error.server_code == "too_many_attempts":
                raise ClubError(
                    "enrollment_too_many_attempts", retry_after=error.params["retry_after"]
                ) from None
            if error.server_code == "branch_closed":
                raise ClubError("enrollment_branch_closed") from None
            if error.code == "sync_refused" and error.params.get("status") == 404:
                # a server older than the preview, or an address that is not a club server
                raise ClubError("not_a_club_server", url=server_url) from None
            raise
        return _parse(EnrollPreviewResponse, response)  # type: ignore[no-any-return]


# ---- the client ------------------------------------------------------------------------------------


class SyncClient:
    """Sync for the terminal whose store is `db` (its data folder holds the device token)."""

    def __init__(
        self,
        db: Database,
        *,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        timeouts: tuple[float, float] = DEFAULT_TIMEOUTS,
        spend_timeouts: tuple[float, float] = SPEND_TIMEOUTS,
        pull_limit: int | None = None,
        retries: Retries | None = None,
        random_fn: Callable[[], float] = random.random,
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        self.db = db
        self.retries = retries or Retries()
        self.retried = 0  # requests sent again (by `_call`), for the curious: the load bench counts them
        self._random = random_fn
        self._stopping = threading.Event()
        # waits `s` seconds before a request is sent again; True when it should not be (the client stops)
        self._sleep = sleep or self._stopping.wait
        self.data_dir = Path(db.path).parent
        self.session = session or requests.Session()
        self.spend_session = requests.Session()
        self.clock = clock or SystemClock()
        self.timeouts = timeouts
        self.spend_timeouts = spend_timeouts
        # None: the protocol's default page, and its largest for a new terminal's first fill (a setup
        # screen, not a counter, waits on it: fewer requests and transactions for a million members)
        self.pull_limit = pull_limit
        self.online: bool | None = None
        self._push_lock = threading.Lock()
        self._seen: set[str] = set()
        self._seen_lock = threading.Lock()
        # called (on the sync thread) after a new set of chip keys is stored: app.services.chip_keys'
        # ChipKeys.reload, so that the card reader's thread gets the new keys without asking the database
        self.on_chip_keys: Callable[[], None] | None = None
        self.chip_keys_path = "/v1/chip-keys"

    @classmethod
    def for_data_dir(cls, data_dir: Path, **kwargs: Any) -> SyncClient:
        return cls(Database.open(data_dir), **kwargs)

    # -- plumbing

    def _identity(self) -> tuple[str, str, str]:
        """(server URL, device id, token), or not_enrolled."""
        with self.db.read() as conn:
            url = sync_state.get(conn, sync_state.SERVER_URL)
            device_id = sync_state.get(conn, sync_state.DEVICE_ID)
        token = read_token(self.data_dir)
        if url is None or device_id is None or token is None:
            raise SyncError("not_enrolled", reason="no_enrolment")
        return url, device_id, token

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        spend: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        url, _device, token = self._identity()
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"} | kwargs.pop("headers", {})
        if body is not None:
            headers |= {"Content-Type": "application/json", "Content-Encoding": "gzip"}
            kwargs["data"] = _gzip_json(body)
        session, timeouts = (
            (self.spend_session, self.spend_timeouts) if spend else (self.session, self.timeouts)
        )
        retries = NO_RETRIES if spend else self.retries  # a waiting customer: decided offline, not later
        backoff = Backoff(retries.base_s, retries.cap_s, random_fn=self._random)
        waited = 0.0
        for attempt in range(1, max(1, retries.attempts) + 1):
            try:
                response = _request(session, method, url + path, timeout=timeouts, headers=headers, **kwargs)
            except SyncError as error:
                self.online = not error.retryable  # a 4xx is still an answer
                if not error.transient or attempt >= retries.attempts:
                    raise
                delay = backoff.failed(error.retry_after_s)
                if waited + delay > retries.budget_s or self._sleep(delay):
                    raise
                waited += delay
                self.retried += 1
                continue
            self.online = True
            return response
        raise AssertionError("unreachable")

    def stop_retrying(self) -> None:
        """Waits between retries end at once and the request fails as it did (a worker that stops)."""
        self._stopping.set()

    def _device_id(self) -> str:
        return self._identity()[1]

    def _token(self) -> str:
        return self._identity()[2]

    def note_member_seen(self, member_id: str) -> None:
        """A member was identified here: keep their grant fresh at the next round (any thread)."""
        with self._seen_lock:
            self._seen.add(member_id)

    def status(self) -> SyncStatus:
        return read_status(self.db, self.online)

    # -- push

    def push(self) -> PushSummary:
        """Send everything unanswered, items then entries, in batches; write each answer as it comes."""
        with self._push_lock:
            return self._push()

    def _push(self) -> PushSummary:
        device_id = self._device_id()
        summary = PushSummary()
        items_limit, entries_limit = MAX_PUSH_ITEMS, MAX_PUSH_ENTRIES
        backlog: int | None = None  # counted once a push, then less what each batch had answered
        while True:
            with self.db.read() as conn:
                items = outbox.pending(conn, outbox.PUSHED_KINDS, limit=items_limit)
                # entries wait until every item is on its way: they may name a member still queued
                entries = (
                    []
                    if len(items) == items_limit
                    else sync_state.pending_entries(conn, device_id, entries_limit)
                )
                if backlog is None and (entries or items):
                    # counting them all again for each batch cost a push as much as reading its entries
                    backlog = sync_state.unanswered_entries(conn, device_id)
            if not items and not entries:
                return summary
            request = self._batch(device_id, items, entries)
            if request is None:
                continue  # unsendable rows were set aside; look again
            try:
                response = _parse(
                    PushResponse,
                    self._call("POST", "/v1/sync/push", body=request, headers=_report(backlog or 0)),
                )
            except SyncError as error:
                if error.params.get("status") == 413 and max(len(items), len(entries)) > 1:
                    items_limit, entries_limit = max(1, len(items) // 2), max(1, len(entries) // 2)
                    continue
                raise
            self._on_push_answered(request, response)
            if not self._record_push(device_id, request, response, summary):
                raise SyncError("sync_refused", status=200, detail="the server answered none of the batch")
            summary.batches += 1
            backlog = max(0, (backlog or 0) - len(response.entries))

    def _batch(self, device_id: str, items: list[Any], entries: list[Any]) -> PushRequest | None:
        """The wire request; a row that cannot be put on the wire is set aside here, never resent."""
        wire_items, unsendable = [], []
        for item in items:
            try:
                wire_items.append(_ITEM_MODELS[item.kind].model_validate_json(item.body))
            except ValidationError:
                unsendable.append(("item", item.id))
        # each entry's fields read at once (attrgetter), not one getattr an entry and field (`body()`)
        bodies = [dict(zip(_WIRE_FIELDS, _wire_values(entry), strict=True)) for entry in entries]
        try:  # the whole batch in one validation, not one call an entry
            request = PushRequest.model_validate(
                {"device_id": device_id, "items": wire_items, "entries": bodies}
            )
        except ValidationError:  # which entries: each alone
            request = None
            for entry in entries:
                try:
                    WireEntry.of(entry)
                except ValidationError:
                    unsendable.append(("entry", entry.id))
        if unsendable:
            self._set_aside_locally(unsendable)
            return None
        if request is None:  # each entry fine alone, the batch not: as the model says
            request = PushRequest(
                device_id=device_id, items=wire_items, entries=[WireEntry.of(e) for e in entries]
            )
        return request

    def _set_aside_locally(self, rows: list[tuple[str, str]]) -> None:
        now = self.clock.now_us()
        with self.db.write() as conn:
            for kind, row_id in rows:
                if kind == "item":
                    outbox.acknowledge(conn, row_id, Outcome.REJECTED, at_us=now, reason="invalid_on_wire")
                else:
                    sync_state.acknowledge_entry(
                        conn, row_id, Outcome.REJECTED, at_us=now, reason="invalid_on_wire"
                    )

    def _on_push_answered(self, request: PushRequest, response: PushResponse) -> None:
        """The server has answered and nothing is written yet (tests crash here)."""

    def _record_push(
        self, device_id: str, request: PushRequest, response: PushResponse, summary: PushSummary
    ) -> int:
        """Write the answers in one transaction; how many of the batch were answered."""
        sent_items = {i.id for i in request.items}
        sent_entries = {e.id for e in request.entries}
        now = self.clock.now_us()
        answered = 0
        with self.db.write() as conn:
            for result in response.items:
                if result.id in sent_items:
                    outbox.acknowledge(conn, result.id, result.outcome, at_us=now, **_ack_fields(result))
                    summary.count(result.outcome)
                    answered += 1
            counted = []  # accepted and duplicate answers: one statement for the batch
            for result in response.entries:
                if result.id not in sent_entries:
                    continue
                if result.outcome in (Outcome.ACCEPTED, Outcome.DUPLICATE):
                    counted.append((result.id, now, result.server_seq, result.outcome.value, result.reason))
                else:  # set aside: taken out of the balances too, one by one (they are few)
                    sync_state.acknowledge_entry(
                        conn, result.id, result.outcome, at_us=now, **_ack_fields(result)
                    )
                summary.count(result.outcome)
                answered += 1
            driver(conn).executemany(_ACK_MANY_SQL, counted)
            for problem in response.chain_problems:
                sync_state.add_problem(
                    conn, problem.problem, at_us=now, device_id=device_id, device_seq=problem.device_seq,
                    detail="reported by the server",
                )  # fmt: skip
                summary.chain_problems += 1
            sync_state.advance_pushed_through(conn, device_id, ledger.head(conn, device_id)[0])
            sync_state.put(conn, sync_state.LAST_PUSH_US, now)
            sync_state.note_contact(conn, response.server_time_us, now)
        return answered

    # -- pull

    def pull(self) -> PullSummary:
        """Pages until the server has no more; each page commits with its cursor.

        The next page is asked for while this one is applied (on a helper thread), so the server builds
        it meanwhile: a new terminal pulling a whole club waits for the slower of the two, not their sum.
        Nothing changes in what is applied or when the cursor moves; a page fetched ahead of a failure is
        dropped unapplied.
        """
        device_id = self._device_id()
        summary = PullSummary()
        with self.db.read() as conn:
            headers = _report(sync_state.unanswered_entries(conn, device_id))
        fetcher = ThreadPoolExecutor(1, thread_name_prefix="sync-pull")
        collecting = gc.isenabled()
        try:
            cursor = self._cursor()
            limit = self.pull_limit or (DEFAULT_PULL_LIMIT if cursor else MAX_PULL_LIMIT)
            if not cursor:
                _first_fill()
            ahead = fetcher.submit(self._page, cursor, headers, limit)
            while True:
                page = ahead.result()
                if page.more and page.next_cursor <= cursor:
                    raise SyncError("sync_refused", status=200, detail="the pull cursor did not move")
                if page.more:
                    ahead = fetcher.submit(self._page, page.next_cursor, headers, limit)
                with self.db.write() as conn:
                    moved = sync_state.get_int(conn, sync_state.CURSOR) != cursor
                    if not moved:
                        now = self.clock.now_us()
                        report = replica.apply_pull(conn, page, self_device_id=device_id, at_us=now)
                if moved:  # another client on this data folder applied it meanwhile: ask again from there
                    cursor = self._cursor()
                    ahead = fetcher.submit(self._page, cursor, headers, limit)
                    continue
                summary.pages += 1
                summary.changes += len(page)
                summary.acknowledged += report.acknowledged
                summary.problems += report.problems
                summary.cursor = cursor = page.next_cursor
                if not page.more:
                    self.forget_deleted()
                    return summary
        finally:
            fetcher.shutdown(wait=False, cancel_futures=True)
            if collecting:
                gc.enable()

    def forget_deleted(self) -> bool:
        """After a pull that erased a member: empty the write-ahead log, whose frames still hold their old
        rows (app.store.replica). A reader in the way leaves it for the next pull; True when nothing waits."""
        with self.db.read() as conn:
            if not sync_state.get_int(conn, sync_state.FORGET_DELETED):
                return True
        if not self.db.forget_deleted():
            return False
        with self.db.write() as conn:
            sync_state.put(conn, sync_state.FORGET_DELETED, None)
        return True

    def _cursor(self) -> int:
        with self.db.read() as conn:
            return sync_state.get_int(conn, sync_state.CURSOR)

    def _page(
        self, cursor: int, headers: dict[str, str] | None = None, limit: int | None = None
    ) -> PulledPage:
        """The page after `cursor`, read and translated into the domain's changes (on the fetching thread,
        so that it overlaps applying the page before)."""
        params = {
            "since": cursor,
            "limit": limit or self.pull_limit or DEFAULT_PULL_LIMIT,
            "protocol": 1,
            "set_aside": "true",
            "set_aside_resolved": "true",
            "unlocks": "true",
        }
        answer = self._call("GET", "/v1/sync/pull", params=params, headers=headers or {})
        page: PulledPage = _parse(page_from_json, answer)
        return page

    # -- chip keys

    def fetch_chip_keys(self) -> int | None:
        """GET /v1/chip-keys: the branch's NTAG 424 DNA keys wrapped for this terminal, stored as they came
        (still wrapped) in place of the set held; how many. None from a server without chip keys (404): not
        an error, the set held stays. Nothing of a key is logged or put into an error. A terminal enrolled
        before chip keys has no wrap key to seal them for: it does not ask."""
        if wrap_key.place(self.data_dir).store == "none":
            return None
        try:
            response = self._call("GET", self.chip_keys_path)
        except SyncError as error:
            if error.code == "sync_refused" and error.params.get("status") == 404:
                return None
            raise
        answer: ChipKeysResponse = _parse(ChipKeysResponse, response)
        held = [
            chip_keys.WrappedChipKey(k.branch_id, k.generation, k.role, k.wrapped, k.created_at_us)
            for k in answer.keys
        ]
        now = self.clock.now_us()
        with self.db.write() as conn:
            chip_keys.replace_all(conn, held, answer.current_generation, at_us=now)
            sync_state.note_contact(conn, answer.server_time_us, now)
        if self.on_chip_keys is not None:
            try:
                self.on_chip_keys()
            except Exception as error:  # stored; the reader keeps the set it had: said, and the round goes on
                raise SyncError(
                    "sync_refused", status=200, detail=f"chip keys not handed over: {type(error).__name__}"
                ) from None
        return len(held)

    # -- photos

    def upload_photos(self, limit: int = 50) -> int:
        """Upload photos taken here, resuming where the server stopped; how many completed.

        A photo the server refuses for its own reasons is recorded as a problem and the others go on;
        a network failure or a refused device ends the step.
        """
        with self.db.read() as conn:
            items = outbox.pending(conn, (outbox.PHOTO,), limit=limit)
        done = 0
        for item in items:
            try:
                done += self._upload_photo(item)
            except SyncError as error:
                if error.retryable or error.code in _FATAL:
                    raise
                self._photo_problem(item, error)
        return done

    def _upload_photo(self, item: outbox.OutboxItem) -> bool:
        data = item.data()
        member_id, sha = data["member_id"], data["sha256"]
        with self.db.read() as conn:
            if outbox.has_pending(conn, member_id, (outbox.MEMBER,)):
                return False  # the member goes first
            member_refused = outbox.was_set_aside(conn, member_id, (outbox.MEMBER,))
            jpeg = members.photo(conn, member_id)
        if member_refused:  # the server will never hold this member: their photo waits with them
            self._answer_photo(item, Outcome.REJECTED, "member_set_aside")
            return False
        if jpeg is None or hashlib.sha256(jpeg).hexdigest() != sha:
            self._answer_photo(item, outbox.SUPERSEDED, None)
            return False
        try:
            self._send_photo(item, f"/v1/photos/{sha}", {"member_id": member_id}, jpeg)
        except SyncError as error:
            if error.server_code not in _PHOTO_REFUSALS:
                raise
            self._answer_photo(item, Outcome.REJECTED, error.server_code)
            return False
        self._answer_photo(item, Outcome.ACCEPTED, None)
        return True

    def _send_photo(self, item: outbox.OutboxItem, path: str, params: dict[str, str], jpeg: bytes) -> None:
        """Upload what the server lacks; a photo it already holds whole is only made the member's (a POST:
        asking how much is held changes nothing on the server)."""
        status = _parse(UploadStatus, self._call("GET", path + "/upload"))
        if status.complete:
            _parse(UploadStatus, self._call("POST", path + "/member", params=params))
            return
        restarts = 0
        while not status.complete:
            try:
                status = self._put_chunk(item, path, params, jpeg, status.received)
            except SyncError as error:
                if error.server_code != "upload_offset_mismatch" or restarts >= 3:
                    raise
                restarts += 1  # another upload of the same photo moved on: resume from what is held
                status = _parse(UploadStatus, self._call("GET", path + "/upload"))

    def _put_chunk(
        self, item: outbox.OutboxItem, path: str, params: dict[str, str], jpeg: bytes, start: int
    ) -> UploadStatus:
        chunk = jpeg[start : start + PHOTO_CHUNK_BYTES]
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"bytes {start}-{start + len(chunk) - 1}/{len(jpeg)}",
        }
        status: UploadStatus = _parse(
            UploadStatus, self._call("PUT", path, params=params, data=chunk, headers=headers)
        )
        self._on_photo_chunk(item, status)
        return status

    def _photo_problem(self, item: outbox.OutboxItem, error: SyncError) -> None:
        with self.db.write() as conn:
            sync_state.add_problem(
                conn, "photo_upload", at_us=self.clock.now_us(), subject=item.subject, detail=str(error)
            )

    def _on_photo_chunk(self, item: outbox.OutboxItem, status: UploadStatus) -> None:
        """A chunk is in (tests interrupt an upload here)."""

    def _answer_photo(self, item: outbox.OutboxItem, outcome: str, reason: str | None) -> None:
        with self.db.write() as conn:
            outbox.acknowledge(conn, item.id, outcome, at_us=self.clock.now_us(), reason=reason)

    def download_photos(self, limit: int = PHOTO_DOWNLOADS_PER_ROUND) -> int:
        """Fetch a few photos the server has and this terminal lacks; how many arrived."""
        with self.db.read() as conn:
            wanted = sync_state.wanted_photos(conn, limit, MAX_PHOTO_ATTEMPTS)
        fetched = 0
        for photo in wanted:
            try:
                jpeg = self._call("GET", f"/v1/photos/{photo.sha256}").content
            except SyncError as error:
                if error.retryable or error.code in _FATAL:
                    raise
                jpeg = b""
            with self.db.write() as conn:
                member = members.get(conn, photo.member_id)
                if member is not None and member.erased:  # erased while the photo was on its way
                    members.forget_photo(conn, photo.member_id)
                    continue
                if hashlib.sha256(jpeg).hexdigest() != photo.sha256:
                    sync_state.photo_failed(conn, photo.member_id, "missing or damaged on the server")
                    continue
                members.put_photo(conn, photo.member_id, jpeg)
                sync_state.photo_fetched(conn, photo.member_id, photo.sha256)
            fetched += 1
        return fetched

    # -- grants and spending

    def refresh_grants(self) -> int:
        """New grants for members seen or sold to here whose grant is missing or half gone."""
        device_id, token = self._device_id(), self._token()
        refreshed = 0
        for batch in self._members_wanting_grants(device_id)[:MAX_GRANT_REQUESTS_PER_ROUND]:
            refreshed += self._ask_grants(device_id, token, batch)
        return refreshed

    def _members_wanting_grants(self, device_id: str) -> list[list[str]]:
        now = self.clock.now_us()
        with self._seen_lock:
            seen = set(self._seen)
        with self.db.read() as conn:
            head = ledger.head(conn, device_id)[0]
            recent = grants.recent_members(
                conn, device_id, head, now - GRANT_RECENT_US, 10 * MAX_GRANT_MEMBERS
            )
            candidates = list(dict.fromkeys([*recent, *sorted(seen)]))
            held = grants.grants_for(conn, candidates)
            clock = sync_state.clock_reading(conn, now)
            known = [m for m in candidates if members.get(conn, m) is not None]
        # an online spend's grant is used up by its own redeem entry: ask for an offline one again
        wanted = [
            m
            for m in known
            if m not in held or held[m].for_entry is not None or wants_refresh(held[m].terms, clock)
        ]
        return [wanted[i : i + MAX_GRANT_MEMBERS] for i in range(0, len(wanted), MAX_GRANT_MEMBERS)]

    def _ask_grants(self, device_id: str, token: str, member_ids: list[str]) -> int:
        response = self._with_push_first(
            lambda after_seq: self._call(
                "POST", "/v1/grants", body=GrantsRequest(after_seq=after_seq, member_ids=member_ids)
            )
        )
        answer: GrantsResponse = _parse(GrantsResponse, response)
        asked = set(member_ids)
        good = [g for g in answer.grants if g.member_id in asked and self._grant_holds(g, device_id, token)]
        now = self.clock.now_us()
        with self.db.write() as conn:
            for grant in good:
                grants.put_grant(conn, _stored(grant, now))
            sync_state.note_contact(conn, answer.server_time_us, now)
            if len(good) < len(answer.grants):
                sync_state.add_problem(
                    conn, "bad_grant", at_us=now, detail="a grant's signature did not hold"
                )
        with self._seen_lock:
            self._seen -= asked
        return len(good)

    def _grant_holds(self, grant: Grant, device_id: str, token: str) -> bool:
        return grant.device_id == device_id and grant_signature_holds(grant, token)

    def _with_push_first(self, ask: Callable[[int], requests.Response]) -> requests.Response:
        """Ask with this device's head; if the server lacks entries up to it, push them and ask again."""
        device_id = self._device_id()
        for attempt in range(2):
            with self.db.read() as conn:
                head = ledger.head(conn, device_id)[0]
            try:
                return ask(head)
            except SyncError as error:
                if error.server_code != "push_first" or attempt:
                    raise
                self.push()
        raise AssertionError("unreachable")

    def _spend_answer(self, ask: Callable[[int], requests.Response]) -> requests.Response:
        """The server's answer to a spend; a storage refusal is asked again once (the same entry id gets
        the stored grant), and then counts as no answer: the sale is decided offline, never refused."""
        for attempt in range(2):
            try:
                return self._with_push_first(ask)
            except SyncError as error:
                if error.server_code != _SPEND_STORAGE_HICCUP:
                    raise
                if attempt:
                    raise SyncError(
                        "server_unreachable", retryable=True, detail=_SPEND_STORAGE_HICCUP
                    ) from None
        raise AssertionError("unreachable")

    def authorize_spend(self, member_id: str, points: int, entry_id: str) -> SpendAuthorisation:
        """The server's yes to spending `points` by the redeem entry `entry_id`, now (SpendAuthoriser).

        Its grant replaces the member's current grant here, as on the server.
        """
        device_id, token = self._device_id(), self._token()

        def ask(after_seq: int) -> requests.Response:
            body = SpendRequest(after_seq=after_seq, member_id=member_id, points=points, entry_id=entry_id)
            return self._call("POST", "/v1/spend", body=body, spend=True)

        try:
            grant: Grant = _parse(Grant, self._spend_answer(ask))
        except SyncError as error:
            if error.server_code in ("insufficient_points", "unknown_member"):
                available = int(error.params.get("available", 0))
                raise ClubError("server_refused_spend", available=available, requested=points) from None
            raise
        if not self._grant_holds(grant, device_id, token) or (grant.for_entry, grant.points) != (
            entry_id,
            points,
        ):
            raise SyncError("sync_refused", status=200, detail="the server's authorisation did not hold")
        now = self.clock.now_us()
        with self.db.write() as conn:
            grants.put_grant(conn, _stored(grant, now))
        return SpendAuthorisation(grant.grant_id, entry_id, points, grant.expires_at_us)

    # -- rounds

    def sync_round(self) -> RoundSummary:
        """push → pull → chip keys → photos up and down → grants; stops at the first failure that ends the
        round."""
        summary = RoundSummary()
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("push", lambda: setattr(summary, "push", self.push())),
            ("pull", lambda: setattr(summary, "pull", self.pull())),
            ("chip_keys", lambda: setattr(summary, "chip_keys", self.fetch_chip_keys())),
            ("photos_up", lambda: setattr(summary, "photos_up", self.upload_photos())),
            ("photos_down", lambda: setattr(summary, "photos_down", self.download_photos())),
            ("grants", lambda: setattr(summary, "grants", self.refresh_grants())),
        ]
        for name, step in steps:
            try:
                step()
            except SyncError as error:
                summary.errors.append(f"{name}: {error}")
                if error.retryable or error.code in _FATAL or name in ("push", "pull"):
                    summary.error = error
                    break
        self._remember_error(summary.error)
        return summary

    def _remember_error(self, error: SyncError | None) -> None:
        if error is None:
            return
        with self.db.write() as conn:
            sync_state.put(conn, sync_state.LAST_ERROR, str(error))

    def run(
        self,
        stop: threading.Event,
        *,
        interval_s: float = 30.0,
        backoff: Backoff | None = None,
        on_round: Callable[[RoundSummary], None] | None = None,
    ) -> RoundSummary:
        """Rounds until `stop` is set or the server refuses this terminal; waits between them."""
        backoff = backoff or Backoff()
        summary = RoundSummary()
        while not stop.is_set():
            summary = self.sync_round()
            if on_round is not None:
                on_round(summary)
            if summary.fatal:
                return summary
            if summary.ok:
                backoff.succeeded()
                delay = interval_s
            else:
                delay = backoff.failed(summary.error.retry_after_s if summary.error else 0.0)
            stop.wait(delay)
        return summary


_WIRE_FIELDS = tuple(WireEntry.model_fields)
_wire_values = operator.attrgetter(*_WIRE_FIELDS)

# what sync_state.acknowledge_entry writes for an answer that leaves the entry counted
_ACK_MANY_SQL = (
    "INSERT INTO ledger_ack (entry_id, acknowledged_at_us, server_seq, outcome, reason) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (entry_id) DO NOTHING"
)


def _first_fill() -> None:
    """A new terminal is about to pull the whole club: the cyclic garbage collector rests until the pull
    ends (`pull` turns it back on, however it ends). It would otherwise walk the process's whole heap again
    and again while a million members' worth of short-lived objects go by, none of them in a cycle: a
    fifth of the pull's time. What a pull leaves in cycles meanwhile (a few objects a page) waits for it."""
    gc.disable()


def _report(backlog: int) -> dict[str, str]:
    """What this terminal tells the server of itself on push and pull (sync.protocol): head office sees
    which version runs where, and how many entries wait here unsent."""
    return {VERSION_HEADER: __version__, BACKLOG_HEADER: str(backlog)}


def _ack_fields(result: Any) -> dict[str, Any]:
    """Answers beside the row: set-aside ones carry their reason and no server sequence."""
    if result.outcome in (Outcome.ACCEPTED, Outcome.DUPLICATE):
        return {"server_seq": result.server_seq, "reason": result.reason}
    return {"server_seq": None, "reason": result.reason or result.outcome.value}


def _stored(grant: Grant, now_us: int) -> StoredGrant:
    return StoredGrant(received_at_us=now_us, **grant.model_dump())
