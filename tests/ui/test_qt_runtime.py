# SPDX-License-Identifier: GPL-3.0-or-later
"""The Qt binding itself must not leak or drop references: a terminal runs all day.

PySide6 6.12.0 on Python 3.11 dropped a reference to None on every Qt call returning nothing and to True
on every signal emission; after ~30,000 calls the process aborted (`none_dealloc`). pyproject.toml
excludes that release; this test fails on any binding that does it again.
"""

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    fired = Signal(object)


def test_void_calls_and_signals_keep_reference_counts(qapp):
    label, emitter = QLabel(), _Emitter()
    emitter.fired.connect(lambda _value: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2_000):
        label.setText("x")
        emitter.fired.emit(1)
    assert abs(sys.getrefcount(None) - none_before) < 100
    assert abs(sys.getrefcount(True) - true_before) < 100
