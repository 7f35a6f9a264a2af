// /kiosk: the touch screen where applicants take a number.
//
// Start screen (services with their wait, green channel, appointment
// check-in) → materials checklist → ticket. Waiting counts stay live over
// /ws/display. Whether a service takes tickets (hours, cut-off, sold out)
// and when it opens next is the server's word from /api/v1/services,
// fetched again as the clock and the queues move: the page never judges
// hours itself. Idle for a while, it returns to the start screen.

import { $, api, bi, el, getLang, HallModel, langButton, params, setLang, Stream, t, translate, onLang, channelMark } from './common.js';

const IDLE_S = Number(params.get('idle')) || 60;
const TICKET_S = Math.min(IDLE_S, 30);
// Which kiosk this is, /kiosk?kiosk=kiosk-1: the same name as in the
// printer's `kiosks = [...]`, in statistics and in guide alerts.
const KIOSK = params.get('kiosk') || undefined;

let info = null; // GET /api/v1/services
const model = new HallModel();
const full = new Set(); // services that answered 409 service_full today
const flow = { priority: null, appointment: null, service: null };
let busy = false;
let day = null; // business day of the last snapshot

// ---------------------------------------------------------------- opening

/** `2026-11-24` → `2026-11-25`. */
function nextDate(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** "Opens at 08:30" for the server's `opens_at` (hall-local RFC 3339),
 *  with "tomorrow" or the date when it is not today. */
function opensText(rfc) {
  const m = /^((\d{4})-(\d\d)-(\d\d))T(\d\d:\d\d)/.exec(rfc || '');
  if (!m) return null;
  const today = (info.now || '').slice(0, 10);
  if (m[1] === today) return t('opens_at', { time: m[5] });
  if (m[1] === nextDate(today)) return t('opens_tomorrow', { time: m[5] });
  const date = new Intl.DateTimeFormat(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { month: 'short', day: 'numeric', weekday: 'short', timeZone: 'UTC' }).format(
    Date.UTC(+m[2], +m[3] - 1, +m[4]),
  );
  return t('opens_on', { date, time: m[5] });
}

/** The tile's state: `open`, `full`, `cutoff` or `closed`, from the API. */
function tileState(s) {
  switch (s.intake) {
    case 'open':
      return s.sold_out || full.has(s.code) ? 'full' : 'open';
    case 'past_cutoff':
      return 'cutoff';
    case 'queue_full':
      return 'queue_full';
    default:
      return 'closed';
  }
}

// ---------------------------------------------------------------- screens

function show(name) {
  for (const s of document.querySelectorAll('.screen')) s.hidden = s.id !== 'screen-' + name;
  hideMessage();
  const h = $(`#screen-${name} h2`);
  if (h) {
    h.tabIndex = -1;
    h.focus({ preventScroll: true });
  }
  document.body.dataset.screen = name;
  armIdle();
}

function message(text, kind = 'error') {
  const m = $('#message');
  m.textContent = text;
  m.dataset.kind = kind;
  m.hidden = false;
}

function hideMessage() {
  $('#message').hidden = true;
}

function toast(text) {
  const e = $('#toast');
  e.textContent = text;
  e.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (e.hidden = true), 6000);
}

/** Waiting now (live from the stream) and the server's estimate for a
 *  ticket taken now (refreshed from /services on every queue change). */
function estimate(s) {
  const q = model.queues.get(s.code);
  return { waiting: q ? q.waiting : s.waiting, wait: bi(s.estimated_wait_text) };
}

function renderHeader() {
  if (!info) return;
  $('#hall-name').textContent = bi(info.hall);
  $('#hall-sub').textContent = bi(info.hall, true);
}

function renderTiles() {
  const box = $('#tiles');
  box.replaceChildren();
  if (!info) return;
  for (const s of info.services) {
    const { waiting, wait } = estimate(s);
    const state = tileState(s);
    const opens = opensText(s.opens_at);
    const then = (text) => (opens ? text + ' · ' + opens : text);
    const note = {
      open: () => t('waiting_n', { n: waiting }) + ' · ' + wait,
      full: () => t('sold_out'),
      cutoff: () => then(t('cutoff_note')),
      queue_full: () => then(t('queue_full_note')),
      closed: () => (s.intake === 'not_yet_open' && opens) || then(t('closed_today')),
    }[state]();
    const tile = el(
      'button',
      {
        type: 'button',
        class: 'tile',
        dataset: { service: s.code, state, intake: s.intake },
        disabled: state !== 'open',
        onclick: () => chooseService(s),
      },
      el('span', { class: 'tile-code', 'aria-hidden': 'true' }, s.prefix),
      el('span', { class: 'tile-name' }, bi(s.name)),
      el('span', { class: 'tile-other', lang: getLang() === 'zh' ? 'en' : 'zh-CN' }, bi(s.name, true)),
      el('span', { class: 'tile-wait' }, note),
    );
    box.append(tile);
  }
  const banner = $('#mode-banner');
  if (flow.priority || flow.appointment) {
    banner.hidden = false;
    banner.textContent = flow.priority
      ? t('green_selected', { who: className(flow.priority) })
      : t('appointment_selected', { code: flow.appointment });
  } else banner.hidden = true;
  const shut = info.services.filter((s) => s.intake !== 'open');
  const heading =
    info.services.length && shut.length === info.services.length
      ? shut.every((s) => s.intake === 'past_cutoff')
        ? 'hall_cutoff'
        : 'hall_closed'
      : 'choose_service';
  $('#home-h').textContent = t(heading);
}

function className(id) {
  const c = info && info.classes.find((c) => c.id === id);
  return c ? bi(c.name) : id;
}

function chooseService(s) {
  flow.service = s;
  $('#mat-h').textContent = bi(s.name);
  const list = $('#materials');
  list.replaceChildren(...s.materials.map((m) => el('li', {}, el('span', {}, bi(m)), el('small', { lang: getLang() === 'zh' ? 'en' : 'zh-CN' }, bi(m, true)))));
  const mc = $('#mat-class');
  mc.hidden = !(flow.priority || flow.appointment);
  mc.textContent = flow.priority ? t('green_selected', { who: className(flow.priority) }) : t('appointment_selected', { code: flow.appointment || '' });
  show('materials');
}

async function take() {
  if (busy || !flow.service) return;
  busy = true;
  $('#take').disabled = true;
  const body = { service: flow.service.code, source: KIOSK };
  if (flow.priority) body.priority = flow.priority;
  if (flow.appointment) body.appointment_code = flow.appointment;
  try {
    const res = await api('/tickets', { method: 'POST', body });
    showTicket(res);
  } catch (e) {
    if (e.code === 'service_full') {
      full.add(flow.service.code);
      message(t('err_service_full'));
    } else if (e.code === 'unknown_appointment') {
      message(t('err_unknown_appointment'), 'info');
    } else if (e.code === 'appointment_window') {
      message(t('err_appointment_window', { message: e.message }), 'info');
    } else if (e.code === 'appointments_unavailable') {
      message(t('err_appointments_unavailable'), 'info');
    } else if (e.code === 'rate_limited') {
      message(t('err_rate_limited'));
    } else if (e.code === 'offline') {
      message(t('err_offline'));
    } else {
      message(t('err_generic', { message: e.message }));
    }
  } finally {
    busy = false;
    $('#take').disabled = false;
  }
}

function showTicket(res) {
  const tk = res.ticket;
  $('#t-service').textContent = bi(tk.service_name);
  $('#t-number').textContent = tk.number;
  const mark = $('#t-mark');
  mark.hidden = !tk.green && !tk.mark && !channelMark(tk);
  mark.replaceChildren((tk.mark ? tk.mark + ' ' : '') + className(tk.priority), channelMark(tk) || '');
  $('#t-ahead').textContent = t('people_n', { n: tk.ahead });
  $('#t-wait').textContent = bi(tk.estimated_wait_text);
  // `print` is `queued` (the printer's result follows on the stream as a
  // `ticket_print` notice, which may even have come first), `failed`
  // (with `print_reason`) or `none` (no printer serves this kiosk):
  // without paper, the number must be remembered.
  document.body.dataset.ticket = tk.id;
  showPrint(printResults.get(tk.id) || res.print);
  $('#t-url').textContent = tk.status_url;
  // The ticket's key, shown only to whoever took it: leaving a phone
  // number needs it. Forgotten with the ticket when the kiosk resets.
  ticketKey = tk.ticket_key || '';
  // Text-me starts closed and empty: the last applicant's number is gone.
  $('#k-phone').value = '';
  $('#k-notify-form').hidden = true;
  $('#k-notify-open').hidden = false;
  $('#k-notify-done').hidden = true;
  show('ticket');
  armIdle(TICKET_S);
}

// Leave a phone number for this ticket: the hall texts when it is near,
// called, needs more documents or its certificate is ready. The screen
// shows the number masked once registered.
async function notifyMe(e) {
  e.preventDefault();
  const id = document.body.dataset.ticket;
  const done = $('#k-notify-done');
  try {
    const res = await api(`/tickets/${id}/notify`, { method: 'POST', body: { phone: $('#k-phone').value.trim(), ticket_key: ticketKey } });
    $('#k-phone').value = '';
    $('#k-notify-form').hidden = true;
    done.dataset.kind = 'ok';
    done.textContent = t('notify_done', { phone: res.phone });
  } catch (err) {
    done.dataset.kind = 'failed';
    done.textContent = err.message;
  }
  done.hidden = false;
}

// ---------------------------------------------------------------- green & appointment

function renderGreen() {
  const box = $('#green-classes');
  box.replaceChildren();
  if (!info) return;
  for (const c of info.classes.filter((c) => c.green)) {
    box.append(
      el(
        'button',
        { type: 'button', class: 'choice green', dataset: { class: c.id }, onclick: () => { flow.priority = c.id; flow.appointment = null; renderTiles(); show('home'); } },
        el('span', {}, bi(c.name)),
        el('small', { lang: getLang() === 'zh' ? 'en' : 'zh-CN' }, bi(c.name, true)),
      ),
    );
  }
}

/** A touch keypad under `input` (a kiosk has no keyboard). */
function buildKeypad(pad, input, maxLength) {
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'clear', '0', 'del'];
  for (const k of keys) {
    const label = k === 'clear' ? t('key_clear') : k === 'del' ? '⌫' : k;
    pad.append(
      el('button', {
        type: 'button',
        class: 'key',
        dataset: { key: k, i18n: k === 'clear' ? 'key_clear' : undefined },
        'aria-label': k === 'del' ? t('key_delete') : undefined,
        onclick: () => {
          if (k === 'clear') input.value = '';
          else if (k === 'del') input.value = input.value.slice(0, -1);
          else if (input.value.length < maxLength) input.value += k;
        },
      }, label),
    );
  }
}

// ---------------------------------------------------------------- arrival from home

/** The arrival screen's one keypad types into whichever field was touched last. */
let arriveField = null;

function arriveScreen() {
  for (const id of ['#arrive-number', '#arrive-last4', '#arrive-code']) $(id).value = '';
  arriveField = $('#arrive-number');
  const prefixes = info ? [...new Set(info.services.map((s) => s.prefix))] : [];
  $('#arrive-prefixes').replaceChildren(
    ...prefixes.map((p) =>
      el('button', { type: 'button', class: 'key', dataset: { prefix: p }, onclick: () => ($('#arrive-number').value = p) }, p),
    ),
  );
  show('arrive');
}

async function arrive() {
  const code = $('#arrive-code').value.trim();
  const body = code
    ? { code }
    : { number: $('#arrive-number').value.trim(), phone_last4: $('#arrive-last4').value.trim() };
  try {
    const res = await api('/remote/arrive', { method: 'POST', body });
    reset();
    toast(t('k_arrive_done', { number: res.ticket.number }));
  } catch (err) {
    message(err.message);
  }
}

function apptNext() {
  const code = $('#appt-code').value.trim();
  if (code.length < 4) {
    message(t('appointment_too_short'), 'info');
    return;
  }
  flow.appointment = code;
  flow.priority = null;
  renderTiles();
  show('home');
}

// ---------------------------------------------------------------- guide, idle, modes

async function callGuide() {
  try {
    await api('/alerts', { method: 'POST', body: { kind: 'guide', source: KIOSK } });
    toast(t('guide_coming'));
  } catch (e) {
    toast(e.code === 'rate_limited' ? t('guide_coming') : t('err_generic', { message: e.message }));
  }
}

function setElderly(on) {
  document.body.classList.toggle('elderly', on);
  $('#elderly-toggle').setAttribute('aria-pressed', String(on));
  $('#elderly-toggle').textContent = on ? t('standard_mode') : t('elderly_mode');
}

function reset() {
  flow.priority = null;
  flow.appointment = null;
  flow.service = null;
  $('#appt-code').value = '';
  setElderly(params.get('elderly') === '1');
  if (getLang() !== defaultLang) setLang(defaultLang, false);
  renderTiles();
  show('home');
  window.scrollTo(0, 0);
}

let idleTimer = null;
let ticketKey = '';
// `ticket_print` results by ticket id, kept briefly: the notice may reach
// the stream before the reply that names the ticket.
const printResults = new Map();

function showPrint(kind) {
  const p = $('#t-print');
  p.dataset.kind = kind || 'none';
  p.textContent = t({ printed: 'print_ok', failed: 'print_failed', queued: 'print_queued' }[kind] || 'print_remember');
}

function printed(f) {
  printResults.set(f.ticket_id, f.status);
  if (printResults.size > 20) printResults.delete(printResults.keys().next().value);
  if (String(f.ticket_id) === document.body.dataset.ticket) showPrint(f.status);
}
function armIdle(seconds = IDLE_S) {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    const home = document.body.dataset.screen === 'home';
    const dirty = flow.priority || flow.appointment || document.body.classList.contains('elderly') !== (params.get('elderly') === '1') || getLang() !== defaultLang;
    if (!home || dirty) reset();
    else armIdle();
  }, seconds * 1000);
}

const defaultLang = params.get('lang') === 'en' ? 'en' : 'zh';

// ---------------------------------------------------------------- start

/** The daemon re-read its config: what is drawn from it is drawn again
 *  (the hall's name, the classes, the tiles, an open materials list). */
async function reloaded() {
  await load();
  if (!info) return;
  renderHeader();
  renderGreen();
  if (flow.service && document.body.dataset.screen === 'materials') {
    const s = info.services.find((x) => x.code === flow.service.code);
    if (s) chooseService(s);
    else reset();
  }
}

let loading = null; // the /services request in flight
let again = false; // asked for again while one was in flight

/** Fetches the services (hours, cut-off, sold out, next opening) and
 *  redraws. Calls while one is in flight fold into one more after it. */
function load() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    try {
      const first = !info;
      info = await api('/services');
      // The hall's name and classes are configuration: drawn once (and on
      // a language switch), so a refresh never swaps a button being touched.
      if (first) {
        renderHeader();
        renderGreen();
      }
      renderTiles();
      if (!$('#message').hidden && $('#message').dataset.kind === 'load') hideMessage();
    } catch (e) {
      // Without a first answer there is nothing to offer; later, the
      // last answer stands while the stream shows the connection.
      if (!info) {
        message(t('err_generic', { message: e.message }), 'load');
        setTimeout(load, 5000);
      }
    } finally {
      loading = null;
      if (again) {
        again = false;
        load();
      }
    }
  })();
  return loading;
}

function init() {
  setLang(defaultLang, false);
  langButton($('#lang-toggle'));
  buildKeypad($('#keypad'), $('#appt-code'), 12);
  buildKeypad($('#k-keypad'), $('#k-phone'), 20);
  const arriveTarget = {
    get value() {
      return arriveField ? arriveField.value : '';
    },
    set value(v) {
      if (arriveField) arriveField.value = v.slice(0, arriveField.maxLength);
    },
  };
  buildKeypad($('#arrive-keypad'), arriveTarget, 8);
  for (const id of ['#arrive-number', '#arrive-last4', '#arrive-code']) {
    $(id).addEventListener('focus', () => (arriveField = $(id)));
    $(id).addEventListener('pointerdown', () => (arriveField = $(id)));
  }
  $('#arrive-path').addEventListener('click', arriveScreen);
  $('#arrive-submit').addEventListener('click', arrive);
  $('#k-notify-open').addEventListener('click', () => {
    $('#k-notify-open').hidden = true;
    $('#k-notify-form').hidden = false;
  });
  $('#k-notify-form').addEventListener('submit', notifyMe);
  translate(document);
  setElderly(params.get('elderly') === '1');
  $('#elderly-toggle').addEventListener('click', () => setElderly(!document.body.classList.contains('elderly')));
  $('#guide').addEventListener('click', callGuide);
  $('#green-path').addEventListener('click', () => show('green'));
  $('#appt-path').addEventListener('click', () => show('appt'));
  $('#appt-next').addEventListener('click', apptNext);
  $('#take').addEventListener('click', take);
  $('#done').addEventListener('click', reset);
  for (const b of document.querySelectorAll('.back')) {
    b.addEventListener('click', () => {
      if (document.body.dataset.screen === 'materials') show('home');
      else reset();
    });
  }
  for (const ev of ['pointerdown', 'keydown']) {
    document.addEventListener(ev, () => armIdle(document.body.dataset.screen === 'ticket' ? TICKET_S : IDLE_S), { passive: true });
  }
  onLang(() => {
    renderHeader();
    renderGreen();
    renderTiles();
    setElderly(document.body.classList.contains('elderly'));
    if (flow.service && document.body.dataset.screen === 'materials') chooseService(flow.service);
  });
  // Live waiting counts; a fresh day's numbers come with the snapshot.
  // What a service takes changes with the queues (sold out) and the
  // clock (hours): ask the server again on each, never work it out here.
  const stream = new Stream('/ws/display', {
    onFrame: (f) => {
      model.apply(f);
      if (f.type === 'ticket_print') printed(f);
      if (f.type === 'snapshot') {
        if (day && f.day !== day) full.clear();
        day = f.day;
      }
      if (f.type === 'snapshot' || f.type === 'queue_changed') {
        renderTiles();
        if (info) load();
      }
      if (f.type === 'config_reloaded') reloaded();
    },
  });
  window.qcall = { stream, model };
  setInterval(load, 30000);
  show('home');
  load();
}

init();
