# SPDX-License-Identifier: GPL-3.0-or-later
"""The page's phone code agrees with app/cards/phone_pass.py, in the real browser, without the API.

The page's own functions (imported from /m/static/portal.js in the served shell) make the key pair with
WebCrypto, and Python certifies its exported public key with a test club key; the code the page signs
verifies with `phone_pass.verify_phone_code`, its QR drawn on a canvas decodes (zxing-cpp, from a
screenshot) to the same text, and is a version 8 symbol at level L: 49×49 modules, whole pixels each.
"""

from __future__ import annotations

import base64
import io
import os
import random
import uuid
from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from playwright.sync_api import Page

from app.cards import phone_pass
from app.cards.payload import IssuingKey
from app.format import date_text, number, toman
from tests.support.browser import PageErrors

KEY_ID = 7
CARD = "6280231234567890"
MODULE = "/m/static/portal.js"
T0_MS = 1_796_000_000_000  # 2026-12-01, a fixed moment: the codes are checked against it, not the clock


def issuing_key() -> IssuingKey:
    """A test club key of purpose "phone" (the server's is a server_key row; this one lives in the test)."""
    private = Ed25519PrivateKey.generate()
    return IssuingKey(KEY_ID, private.private_bytes_raw(), private.public_key().public_bytes_raw())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def shell(page: Page, page_errors: PageErrors) -> Page:
    page.goto("/m/")
    page.wait_for_selector("body[data-ready='1']")
    return page


def page_key(page: Page) -> dict[str, Any]:
    """A key pair made by the page's own code, kept in the page; its public half exported raw."""
    return page.evaluate(
        """async (module) => {
            const m = await import(module);
            const keys = await m.newKeyPair();
            window.testKeys = keys;
            let pkcs8 = "refused";
            try { await crypto.subtle.exportKey("pkcs8", keys.privateKey); pkcs8 = "exported"; }
            catch (e) { pkcs8 = "refused"; }
            return {public: m.toBase64url(await m.rawPublicKey(keys.publicKey)),
                    extractable: keys.privateKey.extractable, pkcs8};
        }""",
        MODULE,
    )


def certificate(key: IssuingKey, public_key: bytes, expires_ms: int) -> bytes:
    return phone_pass.sign_certificate(
        key,
        phone_pass.PhoneCertificate(
            key_id=key.key_id,
            member_id=str(uuid.uuid4()),
            card_number=CARD,
            public_key=public_key,
            expires_day=phone_pass.expires_day(expires_ms * 1000),
        ),
    )


def page_code(page: Page, cert: bytes, server_ms: int) -> str:
    return page.evaluate(
        """async ([module, cert, serverMs]) => {
            const m = await import(module);
            return await m.signCode(window.testKeys.privateKey, m.fromBase64url(cert), m.stepAt(serverMs));
        }""",
        [MODULE, b64url(cert), server_ms],
    )


def test_the_pages_code_verifies_with_phone_pass_and_its_qr_decodes_to_it(
    shell: Page, page_errors: PageErrors
) -> None:
    import zxingcpp

    key = issuing_key()
    made = page_key(shell)
    assert made["extractable"] is False and made["pkcs8"] == "refused"  # the private key stays in WebCrypto
    public = unb64url(made["public"])
    assert len(public) == 65 and public[0] == 4  # WebCrypto's raw export: the uncompressed point
    cert = certificate(key, public, T0_MS + 86_400_000 * 30)
    assert len(cert) == phone_pass.CERTIFICATE_LENGTH

    text = page_code(shell, cert, T0_MS)
    assert len(text) == phone_pass.TEXT_LENGTH and text.startswith("8") and text.isdigit()
    verified = phone_pass.verify_phone_code(text, {KEY_ID: key.public}, T0_MS * 1000)
    assert verified.certificate.card_number == CARD
    assert verified.step == phone_pass.time_step(T0_MS * 1000)

    drawn = shell.evaluate(
        """async ([module, text]) => {
            const m = await import(module);
            const canvas = document.createElement("canvas");
            canvas.id = "test-qr";
            document.body.prepend(canvas);
            m.drawQr(canvas, m.phoneQr(text), 300);
            return {width: canvas.width, modules: Number(canvas.dataset.modules),
                    scale: Number(canvas.dataset.scale), ratio: window.devicePixelRatio};
        }""",
        [MODULE, text],
    )
    assert drawn["modules"] == 49  # version 8: 4 × 8 + 17
    assert drawn["width"] == (49 + 2 * 4) * drawn["scale"]  # whole device pixels per module, quiet zone 4
    assert drawn["scale"] * 57 / drawn["ratio"] <= 300
    shot = Image.open(io.BytesIO(shell.locator("#test-qr").screenshot()))
    assert shot.size == (drawn["width"], drawn["width"])  # one canvas pixel, one screenshot pixel
    found = zxingcpp.read_barcodes(shot.convert("L"))
    assert [barcode.text for barcode in found] == [text]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode and found[0].ec_level == "L"
    assert str(found[0].extra["Version"]) == "8", found[0].extra
    # the finder pattern's corners: 49 modules of `scale` pixels apart, 4 modules of white around them
    top_left, top_right = found[0].position.top_left, found[0].position.top_right
    assert abs((top_right.x - top_left.x + 1) - 49 * drawn["scale"]) <= drawn["scale"]
    assert abs(top_left.x - 4 * drawn["scale"]) <= 1
    assert page_errors.messages == []


def test_codes_of_other_steps_verify_and_a_late_one_does_not(shell: Page):
    key = issuing_key()
    keys = {KEY_ID: key.public}
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    # around the 24-bit wrap of the carried step too: step 2^24 - 1, 2^24, 2^24 + 1
    wrap_ms = phone_pass.STEP_MODULUS * 30_000
    moments = [T0_MS + rng.randrange(0, 86_400_000 * 300) for _ in range(3)]
    moments += [wrap_ms - 30_000, wrap_ms, wrap_ms + 30_000]
    for at_ms in moments:
        expiring = certificate(key, unb64url(page_key(shell)["public"]), at_ms + 86_400_000 * 2)
        text = page_code(shell, expiring, at_ms)
        verified = phone_pass.verify_phone_code(text, keys, at_ms * 1000 + 29_000_000)
        assert verified.step == at_ms // 30_000
    cert = certificate(key, unb64url(page_key(shell)["public"]), T0_MS + 86_400_000 * 365)
    text = page_code(shell, cert, T0_MS)
    assert phone_pass.verify_phone_code(text, keys, (T0_MS + 30_000) * 1000).step == T0_MS // 30_000
    with pytest.raises(phone_pass.PhoneCodeError) as late:
        phone_pass.verify_phone_code(text, keys, (T0_MS + 90_000) * 1000)
    assert late.value.reason is phone_pass.CodeReason.CODE_EXPIRED


def test_the_pages_digits_are_phone_pass_code_text(shell: Page):
    samples = [bytes(191), b"\xff" * 191, b"\x00" * 20 + os.urandom(171), os.urandom(191), os.urandom(191)]
    texts = shell.evaluate(
        """async ([module, samples]) => {
            const m = await import(module);
            const bytes = (hex) => Uint8Array.from(hex.match(/../g), (b) => parseInt(b, 16));
            return samples.map((hex) => m.codeText(bytes(hex)));
        }""",
        [MODULE, [sample.hex() for sample in samples]],
    )
    assert texts == [phone_pass.code_text(sample) for sample in samples]


@pytest.mark.browser_context_args(timezone_id="America/New_York")  # midnight UTC is yesterday evening here
def test_dates_are_jalali_in_persian_digits_and_iso_in_english(shell: Page):
    texts = shell.evaluate(
        """async (module) => {
            const m = await import(module);
            const day = Date.parse("2026-12-07T00:00:00Z");  // a calendar date, as its UTC midnight
            return [m.dayText(day, "fa", "UTC"), m.dayText(day, "en", "UTC"), m.dayText(day, "en"),
                    m.toman(15, "fa"), m.toman(15_000_000, "fa"), m.toman(-20, "en"),
                    m.number(1234567, "fa")];
        }""",
        MODULE,
    )
    # what app/format.py shows for the same (jdatetime's Jalali day); the last date is New York's local day
    day = date(2026, 12, 7)
    expected = [date_text(day, "fa"), date_text(day, "en"), "2026-12-06"]
    expected += [toman(15, "fa"), toman(15_000_000, "fa"), toman(-20, "en"), number(1234567, "fa")]
    assert texts == expected
