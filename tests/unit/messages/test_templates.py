# SPDX-License-Identifier: GPL-3.0-or-later
"""Message texts (sync.server.messages.templates): defaults in fa and en, the club's own over them, safe
substitution of named fields only, and the opt-out line on marketing SMS."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sync.server.messages import templates
from sync.server.messages.templates import TemplateError, check, render, text_for

SALE = {"earned": 1500, "spent": 0, "balance": 12500, "amount": 15_000_000, "invoice": "A-7", "at_us": 0}


def test_every_default_names_only_its_own_fields_in_both_languages():
    for kind, texts in templates.DEFAULTS.items():
        assert set(texts) == set(templates.LANGUAGES)
        for subject, body in texts.values():
            check(kind, body)
            check(kind, subject)


def test_a_sale_reads_in_persian_digits_and_toman():
    subject, body = text_for("points_earned", "fa", {})
    text = render(body + " {amount}", subject, SALE | {"name": "سارا", "club": "باشگاه"}, "fa",
                  marketing=False, sms=True)  # fmt: skip
    assert "۱٬۵۰۰" in text.body and "۱۲٬۵۰۰" in text.body and "۱٬۵۰۰٬۰۰۰ تومان" in text.body
    assert "سارا" in text.body and not any(c.isascii() and c.isdigit() for c in text.body)
    english = render(*reversed(text_for("points_earned", "en", {})), SALE | {"name": "Sara"}, "en",
                     marketing=False, sms=True)  # fmt: skip
    assert "1,500 points" in english.body and "12,500" in english.body


def test_unknown_or_malformed_fields_are_refused_when_saved():
    check("birthday", "{name}: {bonus} {club}")
    for body, problem in (("{balance}", "unknown_field"), ("{0}", "malformed_field"),
                          ("{name.__class__}", "malformed_field"), ("{name!r}", "malformed_field"),
                          ("{name", "malformed"), ("}", "malformed")):  # fmt: skip
        with pytest.raises(TemplateError) as refused:
            check("birthday", body)
        assert refused.value.problem == problem
    with pytest.raises(TemplateError):
        check("no_such_kind", "hi")


def test_the_clubs_row_overrides_and_its_fa_row_switches_the_kind_off():
    rows = {
        ("birthday", "fa"): SimpleNamespace(subject="تولد", body="{name} جان، {bonus} امتیاز", enabled=True)
    }
    assert text_for("birthday", "fa", rows) == ("تولد", "{name} جان، {bonus} امتیاز")
    assert text_for("birthday", "en", rows) == templates.DEFAULTS["birthday"]["en"]
    rows["birthday", "fa"].enabled = False
    assert text_for("birthday", "fa", rows) is None and text_for("birthday", "en", rows) is None


def test_marketing_sms_end_with_the_opt_out_and_emails_do_not():
    sms = render("{name}، حراج یلدا", "", {"name": "سارا"}, "fa", marketing=True, sms=True)
    assert sms.body == "سارا، حراج یلدا\n" + templates.OPT_OUT["fa"]
    assert render("Sale", "", {}, "en", marketing=True, sms=True).body.endswith("Reply 11 to stop")
    assert render("Sale", "", {}, "en", marketing=True, sms=False).body == "Sale"
    assert render("Hi {name}, {invoice}", "", {}, "en", marketing=False, sms=True).body == "Hi ,"
