# SPDX-License-Identifier: GPL-3.0-or-later
"""NTAG 424 DNA: the club's card that cannot be cloned (issue 19; docs/design.md, "Chip cards").

`keys` is the shared contract: how the server derives a branch's keys from the club's root secret, how a
card's own keys are diversified from them (NXP AN10922), how a branch key is wrapped for one terminal,
and the NDEF record naming which branch key a card was keyed with. `crypto` holds the AES primitives of
NXP's AN12196 (CMAC, session keys, secure messaging); `session` speaks the chip's commands over any APDU
transport.
"""
