# SPDX-License-Identifier: GPL-3.0-or-later
"""The canonical form made by the module's one encoder is byte for byte what json.dumps makes."""

import json

from hypothesis import given
from hypothesis import strategies as st

from app.domain.ledger import canonical_bytes

_values = st.none() | st.integers() | st.text() | st.booleans()


@given(st.dictionaries(st.text(), _values, max_size=20))
def test_canonical_bytes_are_sorted_compact_utf8_json(body):
    expected = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical_bytes(body) == expected


def test_persian_text_stays_unescaped():
    body = {"reason": "مرجوعی", "b": 1, "a": None}
    assert canonical_bytes(body) == '{"a":null,"b":1,"reason":"مرجوعی"}'.encode()
