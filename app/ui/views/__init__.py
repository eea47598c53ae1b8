# SPDX-License-Identifier: GPL-3.0-or-later
"""The screens of the cashier terminal, shown one at a time by the main window's stacked layout.

Contract every view follows (the main window relies on it):
- constructed with a `UiContext` (app/ui/context.py) and nothing else global;
- never navigates by itself: it emits a past-tense signal and the main window decides what comes next;
- never blocks: use cases run through `ctx.tasks.run(fn, on_done, on_error)`; refusals (ClubError) are
  shown inside the view in the session's language (`app.ui.messages.club_error_text`);
- every visible string goes through `self.tr(...)`; `retranslate()` sets them all and runs on
  `QEvent.LanguageChange`; numbers, amounts and dates through `app.format`;
- keyboard-first: Enter confirms, Esc goes back/cancels, F-keys are written on their buttons;
  touch-sized targets (buttons at least 48 px high).

Views:
- login.LoginView: pick a member of staff (list), type the PIN, Enter. Signal `logged_in(Staff)`.
- idle.IdleView: "tap a card or scan a QR"; search field (phone, card number or part of a name) with a
  result list. Signals `member_chosen(str member_id)`, `enroll_requested()`. Method
  `show_refusal(title, detail)` shows a red banner for a refused card; `clear()`.
- member.MemberView: `show_member(profile: MemberProfile, photo: QImage | bytes | None, earn_only: bool)`
  (the window decodes the photo on the worker): large photo, name, tier badge, points, wallet, member
  since, birthday flag, last entries with an unsynced marker; tells the sync worker (if any) the member
  was seen, so their offline grant is kept fresh. Then it reads the member's standing in the club's
  programme on the worker itself (`app.services.programme.standing`) and fills the panel beside the photo
  (tier privileges, paid membership, progress, tier kept until, next expiry, cashback spendable from
  tomorrow, campaigns now); `standing()`. Signals `checkout_requested()`, `back_requested()`,
  `manager_requested()`, `programme_shown(str member id)`.
- checkout.CheckoutView: `start(profile: MemberProfile, branch: Branch, tier: Tier, earn_only: bool)`:
  amount in Toman (stored as rials), live points preview, optional redemption with its cap and the
  discount it gives, Enter records the sale. Under a published rule set (the standing, read on the worker
  at `start`): the rule set's pricing with campaigns and cashback, the cashback wallet (F3, capped) and the
  product category (F4). Signals `sale_recorded(SaleResult)`, `cancelled()`, `refused(str code)`,
  `standing_loaded(Standing)`. Enrolled (`ctx.sync`): the cap follows the server (online) or the
  member's grant (offline), nothing for a restricted member; F8 emits `override_requested()` and the
  window hands the manager's `SpendOverride` back to `apply_override` (or calls `on_override_declined`).
- door.DoorView: the event door for a host (`start()` loads the open events: a chooser, "no event", or the
  prompt). `present_card(CardEvent)` / `present_qr(text)` run `app.services.door` on the worker and show
  one verdict (colour, photo, name, tier, invitation, plus-ones, when and at which door) with its tone
  (`sounds: SoundPlayer`); F3 guest search and admit, F6 plus-one, F4 export, Esc back to the prompt.
  Signals `verdict_shown(str)`, `admission_written()`, `undo_requested(UndoTarget)`, `export_requested()`,
  `attendance_exported(str)`, `leave_requested()`; the window answers with `on_undo_finished(bool)` and
  `export_attendance(path)`.
- receipt.ReceiptView: `show_sale(result: SaleResult, member: Member)`: "150 points added", new
  balance, QR of the sale's entry id; print to an ESC/POS printer, save as PDF. Under a rule set: wallet
  paid, cashback, campaigns, bonuses, the wallet's balance, the upgrade celebration (no click), the survey
  (keys or buttons 1–5, `rated(BonusResult)`). Signal `done()`.
"""
