# SPDX-License-Identifier: GPL-3.0-or-later
"""Applying pulled pages: idempotent, own entries become acknowledgements, other devices' chains are
followed (and their breaks recorded, not crashed on), and the cursor moves only with its page."""

import hashlib

import pytest
from sqlalchemy import text

from app.domain.errors import ClubError
from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, seal_all
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, change_photo, enroll_member
from app.services.ledger_check import verify_ledger
from app.services.photos import demo_photo
from app.services.terminal import open_terminal
from app.store import cards, club, grants, ledger, members, outbox, replica, sync_state
from sync.protocol import (
    BranchChange,
    CardChange,
    DeviceChange,
    EntryChange,
    KeyChange,
    MemberChange,
    PhotoChange,
    PullResponse,
    RestrictionChange,
    RevocationChange,
    SettingChange,
    StaffChange,
    TierChange,
    WireBranch,
    WireCard,
    WireDevice,
    WireEntry,
    WireKey,
    WireMember,
    WireRevocation,
    WireStaff,
    WireTier,
    b64encode,
)
from sync.translate import page_from_wire
from tests.support.club import BRANCH_1, CASHIER, DEVICE_1

OTHER = "01900000-0000-7000-8000-0000000000d2"
MEMBER = "01900000-0000-7000-8000-000000000b01"
CARD = "9826000000000010"
T0 = 1_800_000_000_000_000


class Server:
    """Hands out changes with increasing sequence numbers, like the club server's log."""

    def __init__(self) -> None:
        self.seq = 0
        self.other_head = (0, GENESIS_HASH)

    def next(self) -> int:
        self.seq += 1
        return self.seq

    def page(self, *changes, more=False, since=None):
        next_cursor = max((c.seq for c in changes), default=since or 0)
        return PullResponse(changes=list(changes), next_cursor=next_cursor, more=more, server_time_us=T0)

    def club(self):
        return [
            TierChange(
                seq=self.next(), tier=WireTier(code="bronze", name_fa="برنزی", name_en="Bronze", rank=0)
            ),
            BranchChange(
                seq=self.next(),
                branch=WireBranch(
                    id=BRANCH_1,
                    code="B1",
                    name_fa="مرکزی",
                    name_en="Central",
                    earn_points_per_unit=1,
                    earn_rials_per_unit=100_000,
                    redeem_rials_per_point=1_000,
                    redeem_max_share_percent=50,
                ),
            ),
            DeviceChange(seq=self.next(), device=WireDevice(id=OTHER, code="T2", branch_id=BRANCH_1)),
            DeviceChange(seq=self.next(), device=WireDevice(id=DEVICE_1, code="T1", branch_id=BRANCH_1)),
            MemberChange(seq=self.next(), member=self.member()),
        ]

    def member(self, name="Nasrin", member_id=MEMBER):
        return WireMember(
            id=member_id,
            name=name,
            phone="+989121110000",
            tier_code="bronze",
            branch_id=BRANCH_1,
            joined_at_us=T0,
        )

    def entries(self, *points, member_id=MEMBER):
        """Sales on the other device, sealed onto its chain."""
        drafts = [
            EntryDraft(
                id=f"01900000-0000-7000-8000-{self.seq * 100 + i:012d}",
                created_at_us=T0,
                branch_id=BRANCH_1,
                member_id=member_id,
                kind=EntryKind.EARN,
                points_delta=p,
                sale_amount=p * 100_000,
            )
            for i, p in enumerate(points)
        ]
        sealed = seal_all(drafts, OTHER, *self.other_head)
        self.other_head = (sealed[-1].device_seq, sealed[-1].hash)
        return [EntryChange(seq=self.next(), entry=WireEntry.of(e)) for e in sealed]


@pytest.fixture
def server():
    return Server()


@pytest.fixture
def enrolled(terminal):
    with terminal.db.write() as conn:
        sync_state.put(conn, sync_state.SERVER_URL, "http://club.test")
        sync_state.put(conn, sync_state.DEVICE_ID, DEVICE_1)
    return terminal


def apply(terminal, page):
    """The page as the sync client hands it to the store: translated into the domain's changes."""
    with terminal.db.write() as conn:
        return replica.apply_pull(conn, page_from_wire(page), self_device_id=terminal.device_id, at_us=T0 + 5)


def points(terminal, member_id=MEMBER):
    with terminal.db.read() as conn:
        return ledger.balance(conn, member_id).points


def count(terminal, sql):
    with terminal.db.read() as conn:
        return conn.execute(text(sql)).scalar_one()


def problems(terminal):
    with terminal.db.read() as conn:
        return sorted(p.problem for p in sync_state.problems(conn))


def test_other_devices_entries_are_applied_once_with_their_balance(enrolled, server):
    page = server.page(*server.club(), *server.entries(10, 20, 30))
    report = apply(enrolled, page)
    assert report.applied["entry"] == 3 and report.problems == 0
    assert points(enrolled) == 60
    with enrolled.db.read() as conn:
        assert ledger.device_heads(conn)[OTHER] == server.other_head
        assert sync_state.state(conn).cursor == page.next_cursor
        assert ledger.outbox_count(conn) == 0  # pulled entries are acknowledged: not this terminal's to push
    apply(enrolled, page)  # the same page again (a cursor reset): nothing doubles
    assert points(enrolled) == 60
    assert count(enrolled, "SELECT count(*) FROM ledger_entry") == 3
    assert verify_ledger(enrolled.db).ok
    assert problems(enrolled) == []


def test_own_entries_come_back_as_acknowledgements(enrolled, server):
    apply(enrolled, server.page(*server.club()))
    sale = record_sale(enrolled, SaleRequest(MEMBER, 5_000_000))
    with enrolled.db.read() as conn:
        own = ledger.get(conn, sale.sale_id)
        assert ledger.outbox_count(conn) == 1
    echoed = EntryChange(seq=server.next(), entry=WireEntry.of(own))
    apply(enrolled, server.page(echoed))
    apply(enrolled, server.page(echoed))
    with enrolled.db.read() as conn:
        assert ledger.outbox_count(conn) == 0
        assert sync_state.highest_own_server_seq(conn, DEVICE_1) == echoed.seq
        assert ledger.device_heads(conn)[DEVICE_1] == (own.device_seq, own.hash)
    assert count(enrolled, "SELECT count(*) FROM ledger_entry") == 1
    assert points(enrolled) == 50


def test_a_broken_chain_of_another_device_is_recorded_not_crashed_on(enrolled, server):
    apply(enrolled, server.page(*server.club()))
    first = server.entries(10)
    server.entries(99)  # lost on the way: the next one leaves a gap
    third = server.entries(30)
    edited = server.entries(40)[0]
    body = edited.entry.model_dump() | {"points_delta": 4000}
    tampered = EntryChange(seq=edited.seq, entry=WireEntry.model_validate(body))
    apply(enrolled, server.page(*first, *third, tampered))
    assert problems(enrolled) == ["edited", "sequence_gap"]
    assert points(enrolled) == 10 + 30 + 4000  # what the server holds, flagged for a person to look at


def test_the_cursor_moves_only_with_its_page(enrolled, server, monkeypatch):
    apply(enrolled, server.page(*server.club()))
    before = count(enrolled, "SELECT value FROM setting WHERE key = 'sync_cursor'")

    def crash(page, change):
        raise RuntimeError("power cut")

    monkeypatch.setitem(replica._APPLY, "card_revocation", crash)
    entries = server.entries(10, 20)
    revocation = RevocationChange(
        seq=server.next(),
        revocation=WireRevocation(id=MEMBER, card_number=CARD, status="lost", reason="x", at_us=T0),
    )
    with pytest.raises(RuntimeError):
        apply(enrolled, server.page(*entries, revocation))
    assert count(enrolled, "SELECT value FROM setting WHERE key = 'sync_cursor'") == before
    assert points(enrolled) == 0 and count(enrolled, "SELECT count(*) FROM ledger_entry") == 0


def test_revocations_are_idempotent_and_set_the_card_status(enrolled, server):
    card = CardChange(
        seq=server.next(), card=WireCard(number=CARD, member_id=MEMBER, issued_at_us=T0, uid="04aa")
    )
    revocation = RevocationChange(
        seq=server.next(),
        revocation=WireRevocation(
            id="01900000-0000-7000-8000-00000000e001",
            card_number=CARD,
            status="revoked",
            reason="stolen",
            at_us=T0,
        ),
    )
    page = server.page(*server.club(), card, revocation)
    apply(enrolled, page)
    apply(enrolled, page)
    with enrolled.db.read() as conn:
        assert cards.is_revoked(conn, CARD)
    assert count(enrolled, "SELECT count(*) FROM card_revocation") == 1
    # a later change to the card (no UID this time) neither revives nor unbinds it
    again = CardChange(seq=server.next(), card=WireCard(number=CARD, member_id=MEMBER, issued_at_us=T0))
    apply(enrolled, server.page(again))
    with enrolled.db.read() as conn:
        stored = cards.card(conn, CARD)
    assert stored.status.value == "revoked" and stored.uid == "04aa"


def test_reference_data_keeps_what_is_local(enrolled, server):
    apply(enrolled, server.page(*server.club()))
    with enrolled.db.write() as conn:
        club.set_pin_state(conn, CASHIER.id, 3, T0 + 99)
        head_before = ledger.head(conn, DEVICE_1)
    staff = WireStaff(
        id=CASHIER.id, name="Kian K.", role="cashier", branch_id=BRANCH_1, pin_hash="$argon2id$x"
    )
    page = server.page(
        StaffChange(seq=server.next(), staff=staff),
        DeviceChange(seq=server.next(), device=WireDevice(id=DEVICE_1, code="T1-NEW", branch_id=BRANCH_1)),
        SettingChange(seq=server.next(), key="grant_ttl_s", value="3600"),
        SettingChange(seq=server.next(), key="card_prefix", value="1111"),
        SettingChange(seq=server.next(), key="receipt_printer", value="network:10.0.0.9:9100"),
        KeyChange(
            seq=server.next(), key=WireKey(key_id=7, public_key=b64encode(b"k" * 32), created_at_us=T0)
        ),
        TierChange(seq=server.next(), tier=WireTier(code="silver", name_fa="ن", name_en="Silver", rank=0)),
        TierChange(seq=server.next(), tier=WireTier(code="bronze", name_fa="ب", name_en="Bronze", rank=1)),
    )
    apply(enrolled, page)
    with enrolled.db.read() as conn:
        staff_row, _ = club.staff_with_pin_hash(conn, CASHIER.id)
        assert staff_row.name == "Kian K." and club.pin_state(conn, CASHIER.id) == (3, T0 + 99)
        assert ledger.head(conn, DEVICE_1) == head_before
        assert club.self_device(conn).code == "T1-NEW"
        assert club.setting(conn, "grant_ttl_s") == "3600"
        assert club.setting(conn, "card_prefix") != "1111"
        assert club.setting(conn, "receipt_printer") is None  # this counter's printer, not the club's
        assert cards.public_keys(conn)[7] == b"k" * 32
        assert [(t.code, t.rank) for t in club.tiers(conn)] == [("silver", 0), ("bronze", 1), ("gold", 2)]
    assert problems(enrolled) == ["local_setting_ignored", "local_setting_ignored"]


def test_a_member_changed_here_keeps_the_local_version_until_the_server_echoes_it(enrolled, server):
    apply(enrolled, server.page(*server.club()))
    local = enroll_member(enrolled, EnrollRequest(name="Local Name", phone="09120000009")).member
    stale = MemberChange(seq=server.next(), member=server.member("Server Name", local.id))
    apply(enrolled, server.page(stale))
    with enrolled.db.read() as conn:
        assert (
            conn.execute(text("SELECT name FROM member WHERE id = :i"), {"i": local.id}).scalar()
            == "Local Name"
        )
        (item, *_rest) = outbox.pending(conn)
    with enrolled.db.write() as conn:
        outbox.acknowledge(conn, item.id, "accepted", at_us=T0, server_seq=1)
    apply(
        enrolled, server.page(MemberChange(seq=server.next(), member=server.member("Server Name", local.id)))
    )
    with enrolled.db.read() as conn:
        assert (
            conn.execute(text("SELECT name FROM member WHERE id = :i"), {"i": local.id}).scalar()
            == "Server Name"
        )


def test_restrictions_photos_and_the_end_of_the_list(enrolled, server):
    sha = "ab" * 32
    page = server.page(
        *server.club(),
        RestrictionChange(seq=server.next(), member_id=MEMBER, restricted=True, reason="negative balance"),
        PhotoChange(seq=server.next(), member_id=MEMBER, sha256=sha, size=1234),
        more=True,
    )
    apply(enrolled, page)
    with enrolled.db.read() as conn:
        assert grants.is_restricted(conn, MEMBER)
        assert [(w.member_id, w.sha256) for w in sync_state.wanted_photos(conn, 10, 3)] == [(MEMBER, sha)]
        assert club.setting(conn, "revocations_as_of_us") is None  # not the end of the list yet
    lifted = RestrictionChange(seq=server.next(), member_id=MEMBER, restricted=False)
    apply(enrolled, server.page(lifted))
    with enrolled.db.read() as conn:
        assert not grants.is_restricted(conn, MEMBER)
        assert club.setting(conn, "revocations_as_of_us") == str(T0 + 5)
        assert sync_state.state(conn).server_time_us == T0


def test_an_erased_member_is_erased_here_whatever_the_outbox_holds(enrolled, server):
    """The club erased a member this terminal enrolled and still holds an unsent edit of: the erased record
    is written all the same, the photo goes, the outbox's copies lose the person and are closed."""
    apply(enrolled, server.page(*server.club()))
    photo = demo_photo(4, 120)
    local = enroll_member(
        enrolled,
        EnrollRequest(name="Parisa Rahimi", phone="09125550000", photo_jpeg=photo, national_id="0499370899"),
    ).member
    erased = server.member(member_id=local.id).erased()
    report = apply(enrolled, server.page(MemberChange(seq=server.next(), member=erased)))
    assert report.erased == 1
    with enrolled.db.read() as conn:
        row = conn.execute(text("SELECT * FROM member WHERE id = :i"), {"i": local.id}).one()
        assert (row.name, row.phone, row.birth_date, row.national_id_last4) == ("—", "erased", None, None)
        assert members.get(conn, local.id).erased and members.photo(conn, local.id) is None
        assert not [
            i for i in outbox.pending(conn, (*outbox.PUSHED_KINDS, outbox.PHOTO)) if i.subject == local.id
        ]
        bodies = [i.body for i in outbox.about(conn, local.id, (outbox.MEMBER, outbox.PHOTO))]
        assert bodies and not [b for b in bodies if "Parisa" in b or "5550000" in b or "0899" in b]
        closed = {
            outbox.answer(conn, i.id) for i in outbox.about(conn, local.id, (outbox.MEMBER, outbox.PHOTO))
        }
        assert closed == {(outbox.SUPERSEDED, "member_erased")}
        assert sync_state.get_int(conn, sync_state.FORGET_DELETED) == 1
    # a photo change from an older page finds no member to give it to
    sha = hashlib.sha256(photo).hexdigest()
    apply(
        enrolled, server.page(PhotoChange(seq=server.next(), member_id=local.id, sha256=sha, size=len(photo)))
    )
    with enrolled.db.read() as conn:
        assert sync_state.wanted_photos(conn, 10, 3) == []
    with pytest.raises(ClubError, match="member_erased"):
        change_photo(enrolled, local.id, photo)
    assert enrolled.db.forget_deleted()  # nobody reading: the log is emptied


# ---- a new terminal's first fill (app.store.provisioning) -------------------------------------------


def member_indexes(terminal) -> list[str]:
    with terminal.db.read() as conn:
        rows = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'member'")
        )
        return sorted(name for name in rows.scalars() if not name.startswith("sqlite_autoindex"))


def many_members(server, first, count):
    return [
        MemberChange(seq=server.next(), member=server.member(f"M{n}", f"01900000-0000-7000-8000-{n:012d}"))
        for n in range(first, first + count)
    ]


def test_a_first_fill_cut_short_resumes_from_its_cursor_and_ends_with_the_indexes(
    enrolled, server, monkeypatch
):
    """The member indexes are dropped for a new terminal's first fill and built when the pull ends; a fill
    killed halfway (here: a page that fails and rolls back, then the file opened afresh) goes on from its
    cursor, loses nothing and still ends with them."""
    indexes = member_indexes(enrolled)
    assert indexes == ["ix_member_name", "ix_member_phone"]
    first = server.page(*server.club(), *many_members(server, 1, 50), more=True)
    apply(enrolled, first)
    assert member_indexes(enrolled) == []  # the fill is under way: written without them
    assert count(enrolled, "SELECT value FROM setting WHERE key = 'sync_provisioning'") == "1"

    def crash(page, change):
        raise RuntimeError("power cut")

    second = server.page(*many_members(server, 51, 50), server.club()[0], more=True)
    with monkeypatch.context() as patched:
        patched.setitem(replica._APPLY, "tier", crash)
        with pytest.raises(RuntimeError):
            apply(enrolled, second)
    terminal = open_terminal(enrolled.db.path.parent)  # the process is gone: the file opened afresh
    with terminal.db.read() as conn:
        assert sync_state.state(conn).cursor == first.next_cursor
        assert members.count(conn) == 51
    apply(terminal, second)
    last = server.page(*many_members(server, 101, 50))
    apply(terminal, last)
    assert member_indexes(terminal) == indexes
    assert count(terminal, "SELECT count(*) FROM setting WHERE key = 'sync_provisioning'") == 0
    assert count(terminal, "SELECT count(*) FROM member") == 151
    assert count(terminal, "PRAGMA integrity_check") == "ok"
    with terminal.db.read() as conn:
        plan = " ".join(
            str(r[-1])
            for r in conn.execute(text("EXPLAIN QUERY PLAN SELECT id FROM member WHERE phone = 'x'"))
        )
        assert "ix_member_phone" in plan
        assert members.by_phone(conn, "+989121110000") is not None


def test_a_store_that_holds_members_keeps_its_indexes_through_a_pull(enrolled, server):
    apply(enrolled, server.page(*server.club()))  # one page: no fill to speak of
    assert count(enrolled, "SELECT count(*) FROM setting WHERE key = 'sync_provisioning'") == 0
    apply(enrolled, server.page(*many_members(server, 1, 20), more=True))
    apply(enrolled, server.page(*many_members(server, 21, 20)))
    assert member_indexes(enrolled) == ["ix_member_name", "ix_member_phone"]
    assert count(enrolled, "SELECT count(*) FROM setting WHERE key = 'sync_provisioning'") == 0
