# SPDX-License-Identifier: GPL-3.0-or-later
"""`python -m bench --quick` runs end to end and prints its figures as JSON.

A smoke test of the benchmark code only: the figures of a quick run on a shared machine mean nothing,
so no timing is asserted. Tap to verdict is left out (--no-tap), today's card's and the chip-keyed NTAG 424
DNA's alike: it needs the machine's one pcscd, which this test session holds (tests/integration/cards run
bench.tap's own path through the same backend).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "sale_per_s",
    "sale_p50_us",
    "sale_p99_us",
    "bare_insert_per_s",
    "bare_insert_p50_us",
    "bare_insert_p99_us",
    "ratio",
    "sale_floor_per_s",
    "programme_sale_per_s",
    "programme_sale_p99_us",
    "members",
    "lookup_card_p50_us",
    "lookup_card_p99_us",
    "lookup_card_max_us",
    "lookup_phone_p50_us",
    "lookup_phone_p99_us",
    "lookup_phone_max_us",
    "find_member_p50_us",
    "find_member_p99_us",
    "window_cold_start_p50_ms",
    "card_to_member_view_p95_ms",
    "door_admit_p95_ms",
    "door_already_inside_p95_ms",
    "search_p50_ms",
    "search_p99_ms",
    "search_arabic_name_p99_ms",
    "search_phone_persian_p99_ms",
    "search_next_page_p99_ms",
    "search_page_p99_ms",
}
# what the tap to verdict reports (bench.cards), today's card and the chip-keyed one: all left out by --no-tap
TAP_KEYS = {
    "tap_to_verdict_p50_ms",
    "tap_ours_p95_ms",
    "chip_tap_to_verdict_p50_ms",
    "chip_tap_to_verdict_p95_ms",
    "chip_tap_ours_p50_ms",
    "chip_tap_ours_p95_ms",
    "chip_tap_extra_apdus",
    "chip_tap_ours_extra_p50_ms",
}


def test_quick_bench_runs_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out), "--tmp", str(tmp_path), "--no-tap"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout.strip().splitlines()[-1])
    assert printed.keys() >= KEYS, KEYS - printed.keys()
    assert not printed.keys() & TAP_KEYS, "--no-tap skips both cards' tap to verdict"
    assert not [k for k in printed if k.startswith(("tap_", "chip_tap_"))]
    assert printed["quick"] is True
    assert all(isinstance(printed[k], int | float) and printed[k] > 0 for k in KEYS)
    assert json.loads(out.read_text()) == printed
    assert list(tmp_path.iterdir()) == [out], "the benchmark's temporary stores are deleted"
