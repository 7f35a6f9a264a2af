// Shared by every screen: the language, calls to the v1 API, the live
// websocket stream with resync, and the hall model the stream keeps.
// It knows nothing about any one page's layout.

import { STRINGS } from './i18n.js';

export const params = new URLSearchParams(location.search);

// ---------------------------------------------------------------- language

const listeners = [];
let lang = pickLang();

function pickLang() {
  const asked = params.get('lang');
  if (asked === 'zh' || asked === 'en') return asked;
  const saved = localStorage.getItem('qcall.lang');
  if (saved === 'zh' || saved === 'en') return saved;
  return 'zh';
}

export function getLang() {
  return lang;
}

/** Switches every text on the page; `remember` keeps it for the next load. */
export function setLang(next, remember = true) {
  lang = next === 'en' ? 'en' : 'zh';
  if (remember) localStorage.setItem('qcall.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  translate(document);
  for (const f of listeners) f(lang);
}

export function onLang(f) {
  listeners.push(f);
}

/** The string `key` in the current language, with `{name}` filled in. */
export function t(key, vars = {}) {
  const entry = STRINGS[key];
  const text = entry ? entry[lang] ?? entry.en : key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : ''));
}

/** A `{zh, en}` text from the API in the current (or the other) language. */
export function bi(text, other = false) {
  if (!text) return '';
  const l = other ? (lang === 'zh' ? 'en' : 'zh') : lang;
  return text[l] || text.zh || text.en || '';
}

/** Fills `data-i18n` (text), `data-i18n-label` (aria-label) and
 *  `data-i18n-placeholder` from the strings table. */
export function translate(root) {
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset.i18nLabel));
  for (const e of root.querySelectorAll('[data-i18n-title]')) e.title = t(e.dataset.i18nTitle);
  for (const e of root.querySelectorAll('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder);
  const title = document.querySelector('title[data-i18n]');
  if (title) document.title = title.textContent;
}

/** A language toggle button: shows the language it switches to. */
export function langButton(button) {
  const paint = () => {
    button.textContent = lang === 'zh' ? 'English' : '中文';
    button.setAttribute('aria-label', lang === 'zh' ? 'Switch to English' : '切换到中文');
    button.lang = lang === 'zh' ? 'en' : 'zh-CN';
  };
  button.addEventListener('click', () => setLang(lang === 'zh' ? 'en' : 'zh'));
  onLang(paint);
  paint();
}

// ---------------------------------------------------------------- DOM

/** `el('p', {class: 'x', onclick: f}, 'text', child)`. */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') {
      for (const [dk, dv] of Object.entries(v)) if (dv != null) e.dataset[dk] = dv;
    }
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) e.append(c);
  return e;
}

/** The mark of a ticket taken from home (网) or for an appointment (约),
 *  as every screen shows it beside the number; `null` for a walk-in. */
export function channelMark(tk) {
  const key = tk && { remote: 'remote_mark', appointment: 'booked_mark' }[tk.channel];
  return key ? el('span', { class: 'mark-channel', dataset: { channel: tk.channel } }, t(key)) : null;
}

export function $(sel, root = document) {
  return root.querySelector(sel);
}

/** Minutes for people: "约 5 分钟" / "about 5 min"; under a minute is "<1". */
export function minutes(seconds) {
  if (seconds == null) return '–';
  const m = Math.round(seconds / 60);
  return m < 1 ? t('under_a_minute') : t('n_minutes', { n: m });
}

/** A duration as m:ss or h:mm:ss, for waits that tick. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Hall-local wall-clock time from an RFC 3339 string ("…T09:05:00+08:00"). */
export function hhmm(rfc3339) {
  const m = /T(\d\d:\d\d)/.exec(rfc3339 || '');
  return m ? m[1] : '';
}

/** A counter's name for the hall, e.g. "3号窗口" / "Counter 3". */
export function counterName(c) {
  if (!c) return '';
  return c.name ? bi(c.name) : t('counter_n', { n: c.number ?? c.id });
}

// ---------------------------------------------------------------- API

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// ---------------------------------------------------------------- staff sign-in

/** Signs a staff member in (POST /session {staff, password, counter?});
 *  resolves to {token, role, expires_at, staff}. */
export function staffSignIn(staff, password, counter) {
  return api('/session', { method: 'POST', body: counter ? { staff, password, counter } : { staff, password } });
}

/** Ends a session token (DELETE /session); a device token or one already
 *  ended is left as it is. */
export async function staffSignOut(token) {
  if (token) await api('/session', { method: 'DELETE', token }).catch(() => null);
}

/** What a refused sign-in says, in the page's language. */
export function signInError(e) {
  if (e.code === 'account_locked') return t('err_locked', { minutes: Math.max(1, Math.ceil((e.retryAfter || 900) / 60)) });
  if (e.code === 'account_disabled') return t('err_disabled');
  if (e.code === 'counter_required') return t('err_counter_required');
  if (e.code === 'offline') return t('err_offline');
  // The server says the same for an unknown 工号 and a wrong password.
  if (e.status === 401) return t('err_wrong_password');
  return t('err_generic', { message: e.message });
}

/** Calls `/api/v1{path}`; resolves to the JSON body (null for 204). */
export async function api(path, { method = 'GET', body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'offline', t('err_offline'));
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = data && data.error ? data.error : { code: 'http_' + res.status, message: res.statusText };
    const e = new ApiError(res.status, err.code, err.message);
    e.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw e;
  }
  return data;
}

// ---------------------------------------------------------------- stream

/**
 * One live websocket with automatic reconnection. After a drop it reconnects
 * with backoff and `?since=<last seq seen>`, so the server replays exactly
 * the frames missed (or sends a fresh snapshot when that is too old). A ping
 * every 20 s finds half-open connections on flaky hall networks.
 *
 * States reported to `onState`: connecting, live, offline, refused.
 */
export class Stream {
  constructor(path, { auth = null, onFrame, onState = () => {} }) {
    this.path = path;
    this.auth = auth;
    this.onFrame = onFrame;
    this.onState = onState;
    this.seq = null;
    this.delay = 500;
    this.ws = null;
    this.stopped = false;
    this.pending = new Map();
    this.nextId = 1;
    this.state = 'connecting';
    this.connects = 0;
    this.timer = setInterval(() => this.ping(), 20000);
    this.connect();
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const since = this.seq != null ? `?since=${this.seq}` : '';
    return `${proto}//${location.host}${this.path}${since}`;
  }

  setState(state, detail) {
    this.state = state;
    document.documentElement.dataset.stream = state;
    this.onState(state, detail);
  }

  connect() {
    if (this.stopped) return;
    this.setState('connecting');
    const ws = new WebSocket(this.url());
    this.ws = ws;
    this.connects += 1;
    ws.onopen = () => {
      if (this.auth) ws.send(JSON.stringify({ type: 'auth', ...this.auth }));
      else this.up();
    };
    ws.onmessage = (m) => {
      let f;
      try {
        f = JSON.parse(m.data);
      } catch {
        return;
      }
      this.lastHeard = Date.now();
      this.handle(f);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const { reject } of this.pending.values()) reject(new ApiError(0, 'offline', t('err_offline')));
      this.pending.clear();
      if (e.code === 1008) {
        // Policy: a bad or revoked token. Retrying will not help.
        this.stopped = true;
        this.setState('refused', e.reason);
        return;
      }
      this.setState('offline');
      if (this.stopped || this.held) return;
      const wait = this.delay * (0.75 + Math.random() * 0.5);
      this.delay = Math.min(this.delay * 2, 10000);
      this.retry = setTimeout(() => this.connect(), wait);
    };
  }

  up() {
    this.delay = 500;
    this.setState('live');
  }

  handle(f) {
    if (f.type === 'auth_ok') {
      this.up();
      this.onFrame(f);
      return;
    }
    if (f.type === 'pong') {
      this.awaitingPong = false;
      return;
    }
    if ((f.type === 'result' || f.type === 'error') && f.id != null && this.pending.has(f.id)) {
      const { resolve, reject } = this.pending.get(f.id);
      this.pending.delete(f.id);
      if (f.type === 'result') resolve(f);
      else reject(new ApiError(409, f.error.code, f.error.message));
      return;
    }
    if (f.type === 'snapshot') this.snapshots = (this.snapshots || 0) + 1;
    if (typeof f.seq === 'number') {
      this.seq = f.type === 'snapshot' ? f.seq : Math.max(this.seq ?? 0, f.seq);
    }
    this.onFrame(f);
  }

  ping() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (this.awaitingPong) {
      // No answer to the last ping: the connection is dead without knowing it.
      ws.close();
      return;
    }
    this.awaitingPong = true;
    ws.send(JSON.stringify({ type: 'ping', id: 'ping' }));
  }

  /** Sends a counter command; resolves with the `result` frame. */
  command(type, args) {
    return new Promise((resolve, reject) => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN || this.state !== 'live') {
        reject(new ApiError(0, 'offline', t('err_offline')));
        return;
      }
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      ws.send(JSON.stringify(args ? { type, id, args } : { type, id }));
    });
  }

  /** Drops the connection as a network fault would; it comes back by
   *  itself, or only on `reconnect()` when `stayDown` (for tests). */
  drop({ stayDown = false } = {}) {
    this.held = stayDown;
    if (this.ws) this.ws.close();
  }

  reconnect() {
    this.held = false;
    clearTimeout(this.retry);
    if (!this.ws) this.connect();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
    if (this.ws) this.ws.close();
  }
}

// ---------------------------------------------------------------- hall model

/**
 * What the stream says about the hall: counters, queues and recent calls.
 * `apply` takes one frame and returns the tickets newly called by it, so a
 * display can flash and chime exactly once per call.
 */
export class HallModel {
  constructor() {
    this.counters = new Map();
    this.queues = new Map();
    this.calls = [];
    this.hall = null;
    this.hotline = '';
    this.seq = 0;
  }

  apply(f) {
    const called = [];
    if (f.type === 'snapshot') {
      this.hall = f.hall;
      this.hotline = f.hotline;
      this.counters = new Map(f.counters.map((c) => [c.id, c]));
      this.queues = new Map(f.queue.services.map((q) => [q.service, q]));
      this.calls = f.recent_calls.slice();
    }
    if (f.counter) this.counters.set(f.counter.id, f.counter);
    if (f.type === 'queue_changed' && f.services) {
      for (const q of f.services) this.queues.set(q.service, q);
    }
    if ((f.type === 'ticket_called' || f.type === 'ticket_recalled') && f.ticket) {
      this.calls = [f.ticket, ...this.calls.filter((c) => c.id !== f.ticket.id)].slice(0, 40);
      called.push(f.ticket);
    } else if (f.ticket) {
      this.calls = this.calls.map((c) => (c.id === f.ticket.id ? { ...f.ticket, counter: f.ticket.counter || c.counter } : c));
    }
    if (typeof f.seq === 'number') this.seq = Math.max(this.seq, f.seq);
    return called;
  }
}

/** Connection state shown on a pill element (`data-state` drives colour). */
export function showConnection(pill, state) {
  pill.dataset.state = state;
  pill.textContent = t('conn_' + state);
}
