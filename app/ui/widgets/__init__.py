# SPDX-License-Identifier: GPL-3.0-or-later
"""Small widgets shared by the views and dialogs; each module holds one, with a small API.

- style: `TOUCH_HEIGHT`, `scaled_font(font, factor, bold)`, `touch_button(parent, primary)` (48 px+
  buttons that keep out of the focus chain), `align_start(label)` (start side whatever the text).
- photo.PhotoWidget: a member's photo, smoothly scaled and rounded, or a drawn silhouette when none.
- banner.BannerWidget: a red (error), amber (warning) or blue (info) band: big title, what to do.
- badge.TierBadgeWidget: the tier's name on a pill coloured per tier code; `tier_colour(code)`.
- glyph.TapGlyphWidget: a drawn "tap a card / scan a QR" picture (no image files).
- programme_panel.ProgrammePanel: a member's place in the programme: a heading in the tier's colour and
  short lines (`set_line(Line, text, Tone)`), a thin progress bar; `multiplier_text`, `percent_text`.
- celebration.CelebrationWidget: "Upgraded to Gold!" on the tier's colour, a short animation, no click.

They hold no text of their own: callers pass translated strings, so `retranslate` stays in the views.
"""
