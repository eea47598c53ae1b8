// SPDX-License-Identifier: GPL-3.0-or-later
// The member page (docs/portal.md): sign-in by SMS code, the member's balance and lists, and "my card",
// the rotating QR code of the phone credential. One module, no framework.
//
// The phone code is app/cards/phone_pass.py's third implementation (tests/portal holds them equal):
// certificate (124 bytes, the club's) ‖ time step mod 2^24 (3 bytes) ‖ ECDSA P-256 signature r‖s over
// CODE_CONTEXT ‖ the 127 bytes, made with a private key that never leaves WebCrypto (not extractable).
//
// Stored on the device: the key pair and certificate (IndexedDB), the last /m/api/me answer, the server's
// clock offset and the language (localStorage). Sign-out, or a session the server no longer knows, clears
// all of it but the language. The service worker (sw.js) caches the shell only, never /m/api/.

import qrcode from "./vendor/qrcode-generator/qrcode.mjs";

// --------------------------------------------------------------- the phone code (phone_pass.py)

export const STEP_MS = 30_000;
export const STEP_MODULUS = 2 ** 24;
export const CERTIFICATE_LENGTH = 124;
export const CODE_LENGTH = 191;
export const DIGITS = 460;
export const QR_VERSION = 8;
export const QUIET_MODULES = 4;
export const CODE_CONTEXT = new TextEncoder().encode("bashgah phone code\0");
const SIGN = { name: "ECDSA", hash: "SHA-256" };

export function stepAt(serverMs) {
  return Math.floor(serverMs / STEP_MS);
}

/** The 461-digit text of 191 code bytes: "8" then the bytes as one big-endian integer, 460 digits. */
export function codeText(bytes) {
  if (bytes.length !== CODE_LENGTH) throw new Error("a code is 191 bytes");
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return "8" + BigInt("0x" + hex).toString().padStart(DIGITS, "0");
}

/** The code's text for a time step: the certificate, the step, and this phone's signature over both. */
export async function signCode(privateKey, certificate, step) {
  if (certificate.length !== CERTIFICATE_LENGTH) throw new Error("a certificate is 124 bytes");
  const carried = ((step % STEP_MODULUS) + STEP_MODULUS) % STEP_MODULUS;
  const signed = new Uint8Array(CERTIFICATE_LENGTH + 3);
  signed.set(certificate);
  signed.set([(carried >>> 16) & 0xff, (carried >>> 8) & 0xff, carried & 0xff], CERTIFICATE_LENGTH);
  const message = new Uint8Array(CODE_CONTEXT.length + signed.length);
  message.set(CODE_CONTEXT);
  message.set(signed, CODE_CONTEXT.length);
  const signature = new Uint8Array(await crypto.subtle.sign(SIGN, privateKey, message));
  const code = new Uint8Array(CODE_LENGTH);
  code.set(signed);
  code.set(signature, signed.length); // WebCrypto's ECDSA signature is already r ‖ s, 64 bytes
  return codeText(code);
}

/** A new key pair: the private half stays inside WebCrypto (extractable: false); the public half is
 * always exportable. */
export function newKeyPair() {
  return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
}

export async function rawPublicKey(publicKey) {
  return new Uint8Array(await crypto.subtle.exportKey("raw", publicKey)); // 65 bytes, 0x04 ‖ X ‖ Y
}

export function toBase64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64url(text) {
  const plain = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(plain, (c) => c.charCodeAt(0));
}

// --------------------------------------------------------------- drawing QR codes

/** The QR matrix of a phone code: numeric mode, level L, version 8 (49×49) exactly, as phone_pass says. */
export function phoneQr(text) {
  const qr = qrcode(QR_VERSION, "L");
  qr.addData(text, "Numeric");
  qr.make();
  return qr;
}

/** Draws a QR matrix on a canvas with a whole number of device pixels per module and a 4-module white
 * quiet zone, at most `cssSize` CSS pixels wide: crisp edges for a scanner, whatever the screen. */
export function drawQr(canvas, qr, cssSize) {
  const count = qr.getModuleCount();
  const side = count + 2 * QUIET_MODULES;
  const ratio = window.devicePixelRatio || 1;
  const scale = Math.max(1, Math.floor((cssSize * ratio) / side));
  const pixels = side * scale;
  canvas.width = pixels;
  canvas.height = pixels;
  canvas.style.width = canvas.style.height = `${pixels / ratio}px`;
  const ink = canvas.getContext("2d");
  ink.fillStyle = "#ffffff";
  ink.fillRect(0, 0, pixels, pixels);
  ink.fillStyle = "#000000";
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (qr.isDark(row, col)) {
        ink.fillRect((col + QUIET_MODULES) * scale, (row + QUIET_MODULES) * scale, scale, scale);
      }
    }
  }
  canvas.dataset.modules = String(count);
  canvas.dataset.scale = String(scale);
}

function textQr(text) {
  const qr = qrcode(0, "M"); // an invitation's text, in byte mode, the smallest version it fits
  qr.addData(text);
  qr.make();
  return qr;
}

// --------------------------------------------------------------- words, numbers, dates

const TEXTS = {
  fa: {
    title: "باشگاه مشتریان", sign_in: "ورود", phone_label: "شمارهٔ همراه", send_code: "فرستادن کد",
    code_sent: "اگر این شماره عضو باشگاه باشد، کدی شش‌رقمی برایش پیامک شد.", code_label: "کد شش‌رقمی",
    verify: "ورود", other_number: "شمارهٔ دیگر", resend: "فرستادن دوبارهٔ کد", my_card: "کارت من",
    qr_label: "کد کارت من، برای اسکن در صندوق", balance: "موجودی", points: "امتیاز", wallet: "کیف پول",
    tier: "سطح", history: "تاریخچه", more: "بیشتر", invitations: "دعوت‌نامه‌ها",
    catalogue: "جایزه‌ها و اشتراک‌ها", rewards: "جایزه‌ها", plans: "اشتراک‌ها", phones: "گوشی‌های من",
    settings: "تنظیمات و حریم خصوصی", consent: "پیام‌های تبلیغاتی باشگاه را می‌خواهم",
    export: "دریافت همهٔ داده‌های من (PDF)", export_json: "همان، به JSON", sign_out: "خروج",
    toman: "تومان", points_unit: "امتیاز",
    hello: (name) => `سلام ${name}`, next_tier: (name, points, spend) =>
      `تا سطح ${name}: ${[points, spend].filter(Boolean).join(" یا ")}`,
    spend: (amount) => `${amount} خرید`, expiring: (points, on) => `${points} امتیاز در ${on} منقضی می‌شود`,
    countdown: (s) => `کد تازه تا ${s} ثانیهٔ دیگر`, stale: (at) => `آخرین موجودی، ساعت ${at}`,
    resend_in: (s) => `فرستادن دوباره تا ${s} ثانیهٔ دیگر`, phone_invalid: "این شمارهٔ همراه درست نیست.",
    code_wrong: "کد درست نیست. دوباره بنویسید.", code_expired: "این کد منقضی شده است. کد تازه بگیرید.",
    too_many: (s) => `تلاش‌ها بیش از اندازه بود. ${s} دیگر دوباره امتحان کنید.`,
    minutes: (m) => `${m} دقیقهٔ`, seconds: (s) => `${s} ثانیهٔ`, offline: "اتصال برقرار نیست.",
    failed: "کار انجام نشد. دوباره امتحان کنید.", signed_out: "از حساب بیرون آمدید. دوباره وارد شوید.",
    too_many_phones: "پنج گوشی فعال دارید: یکی را از «گوشی‌های من» باطل کنید تا این گوشی کارت شود.",
    no_card: "کارت این گوشی هنوز آماده نیست؛ با اتصال به اینترنت ساخته می‌شود.",
    this_phone: "این گوشی", revoke: "باطل کردن", active: "فعال", revoked: "باطل‌شده", expired: "منقضی",
    issued: (on) => `از ${on}`, plus_ones: (n) => `${n} همراه`, days: (n) => `${n} روز`,
    none: "چیزی نیست.", consent_given: (on, by) => `ثبت‌شده در ${on}${by ? ` (${by})` : ""}`,
    not_offline: "بدون اتصال در دسترس نیست.",
    sale_amount: (amount) => `خرید ${amount}`, wallet_change: (amount) => `کیف پول ${amount}`,
    // where a consent was given or taken back (the back office's CONSENT_SOURCES)
    sources: { terminal: "در صندوق", back_office: "در دفتر باشگاه", member_page: "در همین صفحه",
      sms_stop: "با پاسخ پیامکی لغو", email_unsubscribe: "با پیوند لغو در ایمیل" },
    // the ledger's entry kinds (app/domain/ledger.py), worded as the back office words them
    kinds: { earn: "خرید", redeem: "خرج امتیاز", cashback_credit: "بازگشت وجه به کیف پول",
      cashback_spend: "خرج از کیف پول", adjust: "اصلاح", expire: "انقضای امتیاز", bonus: "جایزه",
      membership_purchase: "خرید عضویت", reversal: "برگشت", override: "اجازه مدیر",
      check_in: "ورود به رویداد", guest_check_in: "ورود مهمان", tier_change: "تغییر سطح", reward: "هدیه" },
  },
  en: {
    title: "Members' club", sign_in: "Sign in", phone_label: "Mobile number", send_code: "Send the code",
    code_sent: "If this number belongs to a member, a 6-digit code was sent to it by SMS.",
    code_label: "6-digit code", verify: "Sign in", other_number: "Another number",
    resend: "Send the code again",
    my_card: "My card", qr_label: "My card's code, to scan at the till", balance: "Balance",
    points: "Points", wallet: "Wallet", tier: "Tier", history: "History", more: "More",
    invitations: "Invitations", catalogue: "Rewards and plans", rewards: "Rewards", plans: "Plans",
    phones: "My phones", settings: "Settings and privacy", consent: "I want the club's marketing messages",
    export: "Download all my data (PDF)", export_json: "the same as JSON", sign_out: "Sign out",
    toman: "Toman", points_unit: "points",
    hello: (name) => `Hello ${name}`, next_tier: (name, points, spend) =>
      `To ${name}: ${[points, spend].filter(Boolean).join(" or ")}`,
    spend: (amount) => `${amount} of purchases`, expiring: (points, on) => `${points} points expire on ${on}`,
    countdown: (s) => `A new code in ${s} s`, stale: (at) => `Last known balance, as of ${at}`,
    resend_in: (s) => `Send again in ${s} s`, phone_invalid: "This mobile number is not right.",
    code_wrong: "The code is not right. Type it again.",
    code_expired: "This code has expired. Ask for a new one.",
    too_many: (s) => `Too many tries. Try again in ${s}.`, minutes: (m) => `${m} minutes`,
    seconds: (s) => `${s} seconds`, offline: "No connection.", failed: "That did not work. Try again.",
    signed_out: "You are signed out. Sign in again.",
    too_many_phones: "You have five active phones: revoke one under My phones to make this one a card.",
    no_card: "This phone's card is not ready yet; it is made when you are online.",
    this_phone: "this phone", revoke: "Revoke", active: "active", revoked: "revoked", expired: "expired",
    issued: (on) => `since ${on}`, plus_ones: (n) => `${n} plus-ones`, days: (n) => `${n} days`,
    none: "Nothing yet.", consent_given: (on, by) => `recorded on ${on}${by ? ` (${by})` : ""}`,
    not_offline: "Not available offline.",
    sale_amount: (amount) => `sale ${amount}`, wallet_change: (amount) => `wallet ${amount}`,
    sources: { terminal: "at a till", back_office: "at the club's office", member_page: "on this page",
      sms_stop: "by an SMS reply (stop)", email_unsubscribe: "by the email's unsubscribe link" },
    kinds: { earn: "Sale", redeem: "Points spent", cashback_credit: "Cashback",
      cashback_spend: "Wallet spent", adjust: "Adjustment", expire: "Points expired", bonus: "Bonus",
      membership_purchase: "Membership bought",
      reversal: "Reversal", override: "Manager override", check_in: "Event admission",
      guest_check_in: "Guest admission", tier_change: "Tier change", reward: "Reward" },
  },
};

let lang = localStorage.getItem("bashgah.lang") === "en" ? "en" : "fa";
const t = (key, ...args) => {
  const text = TEXTS[lang][key];
  return typeof text === "function" ? text(...args) : text;
};
const LOCALE = { fa: "fa-IR-u-nu-arabext-ca-persian", en: "en-GB" };

export function number(value, language = lang) {
  return new Intl.NumberFormat(language === "fa" ? "fa-IR" : "en-US").format(value);
}

/** Rials as Toman, exact: a rial remainder is shown as a decimal, never rounded away (app/format.py). */
export function toman(rials, language = lang) {
  const whole = Math.trunc(Math.abs(rials) / 10);
  const rest = Math.abs(rials) % 10;
  const sign = rials < 0 ? "-" : "";
  const point = language === "fa" ? "٫" : ".";
  return sign + number(whole, language) + (rest ? point + number(rest, language) : "");
}

/** A moment's day on this phone's calendar, or (timeZone "UTC") a calendar date given as its UTC
 * midnight: Jalali with Persian digits in Persian (1405/09/16), ISO in English (2026-12-07). */
export function dayText(ms, language = lang, timeZone = undefined) {
  const options = { year: "numeric", month: "2-digit", day: "2-digit", timeZone };
  return new Intl.DateTimeFormat(language === "fa" ? LOCALE.fa : "en-CA", options).format(new Date(ms));
}

function clockText(ms) {
  return new Intl.DateTimeFormat(LOCALE[lang], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .format(new Date(ms));
}

function dateTimeText(ms) {
  return `${dayText(ms)} ${clockText(ms)}`;
}

function isoDayMs(day) {
  return Date.parse(`${day}T00:00:00Z`);
}

const LATIN = (text) => text.replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
  .replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660));

function applyLanguage() {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "fa" ? "rtl" : "ltr";
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-t-label]")) {
    node.setAttribute("aria-label", t(node.dataset.tLabel));
  }
  const other = $("lang");
  other.textContent = lang === "fa" ? "English" : "فارسی";
  other.lang = lang === "fa" ? "en" : "fa";
}

// --------------------------------------------------------------- storage

const KEYS = { me: "bashgah.me", offset: "bashgah.offset", lang: "bashgah.lang" };
const DB_NAME = "bashgah-portal";
const STORE = "credential";

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function idb(mode, act) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** {keyPair, certificate (Uint8Array), cardNumber, expiresMs} or undefined. */
export const loadCredential = () => idb("readonly", (store) => store.get("phone"));
const saveCredential = (credential) => idb("readwrite", (store) => store.put(credential, "phone"));
const dropCredential = () => idb("readwrite", (store) => store.delete("phone"));

function storedMe() {
  try {
    return JSON.parse(localStorage.getItem(KEYS.me) || "null");
  } catch {
    return null;
  }
}

function clockOffset() {
  return Number(localStorage.getItem(KEYS.offset) || 0);
}

export function serverNow() {
  return Date.now() + clockOffset();
}

async function forgetEverything() {
  localStorage.removeItem(KEYS.me);
  localStorage.removeItem(KEYS.offset);
  await dropCredential();
}

// --------------------------------------------------------------- the API

class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.body = body || {};
  }
}

class Offline extends Error {}

async function api(method, path, body) {
  const headers = { Accept: "application/json", "Accept-Language": lang };
  if (method !== "GET") headers["X-Bashgah"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`/m/api/${path}`, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Offline(t("offline"));
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiFailure(response.status, data);
  return data;
}

/** A refusal in the member's words: ours for the codes we know, else the server's (in the same language). */
function refusal(error) {
  if (error instanceof Offline) return t("offline");
  if (!(error instanceof ApiFailure)) return t("failed");
  if (error.code === "too_many") return t("too_many", waitText(error.body.retry_after_s || 60));
  if (TEXTS[lang][error.code] && typeof TEXTS[lang][error.code] === "string") return t(error.code);
  return error.message || t("failed");
}

function waitText(seconds) {
  return seconds >= 90 ? t("minutes", number(Math.ceil(seconds / 60))) : t("seconds", number(seconds));
}

// --------------------------------------------------------------- the page

const $ = (id) => document.getElementById(id);

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-") || key === "lang" || key === "dir") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

const num = (text) => element("bdi", { class: "num" }, text);

function show(view) {
  $("sign-in").hidden = view !== "sign-in";
  $("home").hidden = view !== "home";
  document.body.dataset.view = view;
}

function status(text) {
  $("status").textContent = text || "";
  $("status").hidden = !text;
}

// ---- sign-in

let signInPhone = "";
let resendTimer = 0;

function startSignIn() {
  show("sign-in");
  $("phone-form").hidden = false;
  $("code-form").hidden = true;
  $("sign-in-error").textContent = "";
}

async function askForCode(event) {
  event?.preventDefault();
  const phone = LATIN($("phone").value.trim()).replace(/[\s-]/g, "");
  $("sign-in-error").textContent = "";
  try {
    const answer = await api("POST", "sign-in", { phone });
    signInPhone = phone;
    $("phone-form").hidden = true;
    $("code-form").hidden = false;
    $("code").value = "";
    $("code").focus();
    waitToResend(answer.resend_after_s || 60);
  } catch (error) {
    $("sign-in-error").textContent = refusal(error);
  }
}

function waitToResend(seconds) {
  clearInterval(resendTimer);
  const until = Date.now() + seconds * 1000;
  const button = $("resend");
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    button.disabled = left > 0;
    button.textContent = left > 0 ? t("resend_in", number(left)) : t("resend");
    if (left <= 0) clearInterval(resendTimer);
  };
  tick();
  resendTimer = setInterval(tick, 1000);
}

async function verifyCode(event) {
  event.preventDefault();
  const code = LATIN($("code").value.trim());
  $("sign-in-error").textContent = "";
  try {
    await api("POST", "verify", { phone: signInPhone, code });
  } catch (error) {
    $("sign-in-error").textContent = refusal(error);
    return;
  }
  clearInterval(resendTimer);
  await forgetEverything(); // nothing of an earlier member survives a new sign-in on this device
  show("home");
  await refresh();
}

// ---- the member's figures

async function refresh() {
  try {
    const before = Date.now();
    const me = await api("GET", "me");
    const after = Date.now();
    // the server's clock at the answer's middle; the QR's time steps follow it, not the phone's clock
    localStorage.setItem(KEYS.offset, String(me.server_time_ms - Math.round((before + after) / 2)));
    localStorage.setItem(KEYS.me, JSON.stringify({ me, at_ms: after }));
    renderMe(me, null);
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401) {
      await forgetEverything();
      stopCard();
      startSignIn();
      $("sign-in-error").textContent = t("signed_out");
      return;
    }
    const stored = storedMe();
    if (stored) renderMe(stored.me, stored.at_ms);
    status(refusal(error));
    startCard();
    return;
  }
  status("");
  await ensureCredential();
  startCard();
  resetLists();
}

function renderMe(me, staleAt) {
  $("stale").hidden = staleAt === null;
  if (staleAt !== null) $("stale").textContent = t("stale", dateTimeText(staleAt));
  document.body.dataset.stale = staleAt === null ? "" : "1";
  $("greeting").textContent = me.member && me.member.name ? t("hello", me.member.name) : "";
  $("points").replaceChildren(num(number(me.points)));
  $("wallet").replaceChildren(num(toman(me.wallet_rials)), " ", t("toman"));
  $("tier").textContent = (me.tier && me.tier.name) || "—";
  const privileges = (me.tier && me.tier.privileges) || [];
  $("privileges").replaceChildren(...privileges.map((p) => element("li", {}, p)));
  const next = me.next_tier;
  $("next-tier").textContent = next ? t(
    "next_tier", next.name,
    next.points_needed ? `${number(next.points_needed)} ${t("points_unit")}` : "",
    next.spend_needed_rials ? t("spend", `${toman(next.spend_needed_rials)} ${t("toman")}`) : "",
  ) : "";
  $("expiring").replaceChildren(...(me.expiring || []).map((e) =>
    element("li", {}, t("expiring", number(e.points), dayText(isoDayMs(e.on), lang, "UTC")))));
  renderConsent(me.consent);
}

function renderConsent(consent) {
  $("consent").checked = Boolean(consent && consent.marketing);
  $("consent-note").textContent = consent && consent.given_at_ms
    ? t("consent_given", dateTimeText(consent.given_at_ms), TEXTS[lang].sources[consent.source] || "") : "";
}

async function changeConsent() {
  const box = $("consent");
  box.disabled = true;
  try {
    renderConsent(await api("PUT", "consent", { marketing: box.checked }));
  } catch (error) {
    box.checked = !box.checked;
    status(refusal(error));
  } finally {
    box.disabled = false;
  }
}

// ---- the lists (loaded when opened: a slow network spends nothing on what is not looked at)

const loaded = new Set();

function resetLists() {
  loaded.clear();
  for (const box of ["history", "invitations", "catalogue", "phones"]) {
    if ($(`${box}-box`).open) openList(box);
  }
}

async function openList(name) {
  if (loaded.has(name)) return;
  loaded.add(name);
  const loaders = { history: () => loadHistory(true), invitations: loadInvitations,
    catalogue: loadCatalogue, phones: loadPhones };
  try {
    await loaders[name]();
  } catch (error) {
    loaded.delete(name);
    const list = { history: "history", invitations: "invitations", catalogue: "rewards", phones: "phones" };
    $(list[name]).replaceChildren(element("li", { class: "note" },
      error instanceof Offline ? t("not_offline") : refusal(error)));
  }
}

let historyBefore = null;

const signed = (value, format) => (value > 0 ? "+" : "") + format(value);

async function loadHistory(first) {
  if (first) {
    historyBefore = null;
    $("history").replaceChildren();
  }
  const page = await api("GET", historyBefore === null ? "history" : `history?before=${historyBefore}`);
  for (const entry of page.entries) {
    historyBefore = entry.id;
    const kinds = TEXTS[lang].kinds;
    const points = entry.points ? element("span", { class: `side ${entry.points > 0 ? "plus" : "minus"}` },
      num(signed(entry.points, number))) : null;
    const money = [
      entry.sale_rials ? t("sale_amount", `${toman(entry.sale_rials)} ${t("toman")}`) : "",
      entry.cash_rials ? t("wallet_change", `${signed(entry.cash_rials, toman)} ${t("toman")}`) : "",
    ].filter(Boolean).join(" · ");
    $("history").append(element("li", { "data-id": String(entry.id) }, points,
      kinds[entry.kind] || entry.kind,
      element("span", { class: "sub" }, [dateTimeText(entry.at_ms), entry.branch, money].filter(Boolean)
        .join(" · "))));
  }
  if (!$("history").children.length) $("history").append(element("li", { class: "note" }, t("none")));
  $("history-more").hidden = !page.more;
}

async function loadInvitations() {
  const { invitations } = await api("GET", "invitations");
  $("invitations").replaceChildren(...invitations.map((inv) => {
    // an invitation by tier has no pass of its own (qr_text null): the door finds the member by card
    let canvas = null;
    if (inv.qr_text) {
      canvas = element("canvas", { class: "invitation-qr", role: "img" });
      canvas.setAttribute("aria-label", inv.event);
      drawQr(canvas, textQr(inv.qr_text), 220);
      canvas.dataset.text = inv.qr_text;
    }
    return element("li", {}, element("strong", {}, inv.event),
      element("span", { class: "sub" }, [inv.venue, dateTimeText(inv.starts_ms),
        inv.plus_ones ? t("plus_ones", number(inv.plus_ones)) : ""].filter(Boolean).join(" · ")),
      canvas);
  }));
  if (!invitations.length) $("invitations").append(element("li", { class: "note" }, t("none")));
}

async function loadCatalogue() {
  const { rewards, plans } = await api("GET", "catalogue");
  $("rewards").replaceChildren(...rewards.map((r) => element("li", {},
    element("span", { class: "side" }, num(`${number(r.points)} ${t("points_unit")}`)), r.name,
    r.description ? element("span", { class: "sub" }, r.description) : null)));
  $("plans").replaceChildren(...plans.map((p) => element("li", {},
    element("span", { class: "side" }, num(`${toman(p.price_rials)} ${t("toman")}`)), p.name,
    element("span", { class: "sub" }, [t("days", number(p.days)), ...(p.privileges || [])].join(" · ")))));
  if (!rewards.length) $("rewards").append(element("li", { class: "note" }, t("none")));
  if (!plans.length) $("plans").append(element("li", { class: "note" }, t("none")));
}

async function loadPhones() {
  const { phones } = await api("GET", "phones");
  const credential = await loadCredential();
  const mine = credential && credential.cardNumber;
  $("phones").replaceChildren(...phones.map((phone) => {
    const ours = phone.card_number === mine;
    const revoke = phone.status === "active" && !ours
      ? element("button", { type: "button", "data-card": phone.card_number }, t("revoke")) : null;
    revoke?.addEventListener("click", () => revokePhone(phone.card_number));
    return element("li", { "data-card": phone.card_number, "data-status": phone.status }, revoke,
      phone.label || "—", ours ? ` (${t("this_phone")})` : "",
      element("span", { class: "sub" }, [t(phone.status) || phone.status,
        t("issued", dayText(phone.issued_ms))].join(" · ")));
  }));
  if (!phones.length) $("phones").append(element("li", { class: "note" }, t("none")));
  return phones;
}

async function revokePhone(cardNumber) {
  try {
    await api("DELETE", `phones/${cardNumber}`);
  } catch (error) {
    status(refusal(error));
  }
  loaded.delete("phones");
  await openList("phones");
  if ($("card-note").dataset.reason === "too_many_phones") {
    await ensureCredential();
    startCard();
  }
}

// ---- the phone credential

function deviceLabel() {
  const ua = navigator.userAgent;
  const os = [[/Android/, "Android"], [/iPhone/, "iPhone"], [/iPad/, "iPad"], [/Windows/, "Windows"],
    [/Mac OS X/, "Mac"], [/CrOS/, "ChromeOS"], [/Linux/, "Linux"]].find(([re]) => re.test(ua));
  const browser = [[/SamsungBrowser/, "Samsung Internet"], [/Edg\//, "Edge"], [/Firefox\//, "Firefox"],
    [/Chrome\//, "Chrome"], [/Safari\//, "Safari"]].find(([re]) => re.test(ua));
  return [browser ? browser[1] : "Browser", os ? os[1] : ""].filter(Boolean).join(" · ");
}

/** This phone's card: kept while the server lists it active and it has not expired; else a new key pair
 * and certificate (the old private key is dropped with it). */
async function ensureCredential() {
  const note = $("card-note");
  let credential = await loadCredential();
  try {
    if (credential) {
      const { phones } = await api("GET", "phones");
      const listed = phones.find((p) => p.card_number === credential.cardNumber);
      const good = listed && listed.status === "active" && credential.expiresMs > serverNow() + STEP_MS * 2;
      if (!good) {
        await dropCredential();
        credential = undefined;
      }
    }
    if (!credential) credential = await newCredential();
    note.hidden = true;
    note.dataset.reason = "";
  } catch (error) {
    note.hidden = false;
    note.dataset.reason = error.code || "";
    note.textContent = error.code === "too_many_phones" ? t("too_many_phones") : refusal(error);
  }
  return credential;
}

async function newCredential() {
  const keyPair = await newKeyPair();
  const publicKey = toBase64url(await rawPublicKey(keyPair.publicKey));
  const answer = await api("POST", "phones", { public_key: publicKey, label: deviceLabel() });
  const credential = {
    keyPair, certificate: fromBase64url(answer.certificate), cardNumber: answer.card_number,
    expiresMs: answer.expires_ms,
  };
  await saveCredential(credential);
  return credential;
}

// ---- "my card": the rotating code

let cardTimer = 0;
let cardRun = 0; // each start of the card is a new run; a run that is no longer the latest stops
let shownStep = null;
let wakeLock = null;

function qrSize() {
  const width = Math.min(document.documentElement.clientWidth - 48, 420);
  return Math.max(200, Math.min(width, Math.round(window.innerHeight * 0.6)));
}

function stopCard() {
  clearTimeout(cardTimer);
  cardRun += 1;
  shownStep = null;
  const canvas = $("qr");
  canvas.width = canvas.height = 0;
  delete canvas.dataset.text;
  delete canvas.dataset.step;
  delete canvas.dataset.card;
  wakeLock?.release().catch(() => {});
  wakeLock = null;
}

async function startCard() {
  clearTimeout(cardTimer);
  const run = ++cardRun;
  shownStep = null; // the credential may be new: draw now, not at the next step
  const credential = await loadCredential();
  if (run !== cardRun) return; // started again meanwhile (a new credential, sign-out)
  if (!credential) {
    const note = $("card-note");
    if (note.hidden) {
      note.hidden = false;
      note.textContent = t("no_card");
    }
    return;
  }
  keepAwake();
  await tickCard(credential, run);
}

async function tickCard(credential, run) {
  if (run !== cardRun) return;
  const now = serverNow();
  const step = stepAt(now);
  if (step !== shownStep) {
    const text = await signCode(credential.keyPair.privateKey, credential.certificate, step);
    if (run !== cardRun) return;
    const canvas = $("qr");
    drawQr(canvas, phoneQr(text), qrSize());
    canvas.dataset.text = text;
    canvas.dataset.step = String(step);
    canvas.dataset.card = credential.cardNumber;
    shownStep = step;
  }
  const left = Math.ceil(((step + 1) * STEP_MS - now) / 1000);
  $("countdown").textContent = t("countdown", number(left));
  // wake at the next whole second, or at the step's boundary if that comes first
  const wait = Math.min(((step + 1) * STEP_MS - now), 1000 - (now % 1000)) + 5;
  cardTimer = setTimeout(() => tickCard(credential, run), wait);
}

function keepAwake() {
  if (!("wakeLock" in navigator) || document.visibilityState !== "visible" || wakeLock) return;
  navigator.wakeLock.request("screen").then((lock) => {
    wakeLock = lock;
    lock.addEventListener("release", () => { wakeLock = null; });
  }).catch(() => {}); // refused (battery saver, no user gesture yet): the screen may sleep, no harm
}

// ---- sign-out

async function signOut() {
  const credential = await loadCredential();
  try {
    // this phone's card is useless once its key is gone: revoke it rather than leave it counted
    if (credential) await api("DELETE", `phones/${credential.cardNumber}`).catch(() => {});
    await api("POST", "sign-out");
  } catch {
    // offline: the local data goes anyway; the session ends on the server after 30 days unused
  }
  await forgetEverything();
  stopCard();
  loaded.clear();
  for (const id of ["history", "invitations", "rewards", "plans", "phones", "privileges", "expiring"]) {
    $(id).replaceChildren();
  }
  startSignIn();
}

// --------------------------------------------------------------- start

function wire() {
  $("phone-form").addEventListener("submit", askForCode);
  $("code-form").addEventListener("submit", verifyCode);
  $("resend").addEventListener("click", () => askForCode());
  $("other-number").addEventListener("click", startSignIn);
  $("lang").addEventListener("click", () => {
    lang = lang === "fa" ? "en" : "fa";
    localStorage.setItem(KEYS.lang, lang);
    applyLanguage();
    if (!$("home").hidden) {
      // names (tier, branches, privileges) come from the server in the asked language: ask again
      const stored = storedMe();
      if (stored) renderMe(stored.me, document.body.dataset.stale ? stored.at_ms : null);
      refresh();
    }
  });
  for (const name of ["history", "invitations", "catalogue", "phones"]) {
    $(`${name}-box`).addEventListener("toggle", () => { if ($(`${name}-box`).open) openList(name); });
  }
  $("history-more").addEventListener("click", () => loadHistory(false).catch((e) => status(refusal(e))));
  $("consent").addEventListener("change", changeConsent);
  $("sign-out").addEventListener("click", signOut);
  document.addEventListener("visibilitychange", () => { if (shownStep !== null) keepAwake(); });
  // back online: the marked-old balance is replaced by a fresh one without a reload
  window.addEventListener("online", () => {
    if (!$("home").hidden && document.body.dataset.stale) refresh();
  });
}

async function start() {
  applyLanguage();
  wire();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => {});
  }
  const stored = storedMe();
  if (!stored) {
    startSignIn(); // never signed in here: no call the server would only refuse
    return;
  }
  show("home");
  renderMe(stored.me, stored.at_ms);
  startCard();
  await refresh();
}

if (document.getElementById("home")) {
  start().finally(() => { document.body.dataset.ready = "1"; });
}
