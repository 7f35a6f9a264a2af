// /kiosk: the touch screen where applicants take a number.
//
// Start screen (services with their wait, green channel, appointment
// check-in) → materials checklist → ticket. Waiting counts stay live over
// /ws/display; opening hours are judged on the hall's clock from
// /api/v1/services. Idle for a while, it returns to the start screen.

import { $, api, bi, el, getLang, HallModel, langButton, minutes, params, setLang, Stream, t, translate, onLang } from './common.js';

const IDLE_S = Number(params.get('idle')) || 60;
const TICKET_S = Math.min(IDLE_S, 30);
// Which kiosk this is, for guide alerts and statistics: /kiosk?kiosk=east-1.
const SOURCE = 'kiosk:' + (params.get('kiosk') || 'unnamed');
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

let info = null; // GET /api/v1/services
let clockBase = null; // {minutes, weekday, at}: hall-local time when info came
const model = new HallModel();
const full = new Set(); // services that answered 409 service_full today
const flow = { priority: null, appointment: null, service: null };
let busy = false;
let day = null; // business day of the last snapshot

// ---------------------------------------------------------------- hours

function parseNow(rfc) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(rfc || '');
  if (!m) return null;
  const weekday = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay();
  return { minutes: +m[4] * 60 + +m[5], weekday, at: performance.now() };
}

/** The hall's local weekday and minute of day now. */
function hallNow() {
  if (!clockBase) return null;
  const passed = Math.floor((performance.now() - clockBase.at) / 60000);
  const total = clockBase.minutes + passed;
  return { minutes: total % 1440, weekday: (clockBase.weekday + Math.floor(total / 1440)) % 7 };
}

const toMin = (hm) => {
  const [h, m] = hm.split(':').map(Number);
  return h * 60 + m;
};

/** `open`, `cutoff` (open, no new tickets) or `closed`, and the next opening. */
function hallStatus() {
  const now = hallNow();
  if (!info || !now) return { state: 'open' };
  const ranges = (info.hours[WEEKDAYS[now.weekday]] || []).map((r) => r.split('-').map(toMin));
  for (const [a, b] of ranges) {
    if (now.minutes >= a && now.minutes < b) {
      return now.minutes >= b - info.cutoff_minutes ? { state: 'cutoff', until: b } : { state: 'open' };
    }
  }
  const later = ranges.find(([a]) => a > now.minutes);
  return { state: 'closed', next: later ? later[0] : null };
}

const fmtMin = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

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

function estimate(s) {
  const q = model.queues.get(s.code);
  const waiting = q ? q.waiting : s.waiting;
  const per = Math.max(1, s.counters.length);
  return { waiting, wait_s: Math.ceil(waiting / per) * s.avg_service_s };
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
  const status = hallStatus();
  for (const s of info.services) {
    const { waiting, wait_s } = estimate(s);
    let state = status.state;
    if (full.has(s.code)) state = 'full';
    const note =
      state === 'closed'
        ? status.next != null
          ? t('opens_at', { time: fmtMin(status.next) })
          : t('closed_today')
        : state === 'cutoff'
          ? t('cutoff_note')
          : state === 'full'
            ? t('sold_out')
            : t('waiting_n', { n: waiting }) + ' · ' + minutes(wait_s);
    const tile = el(
      'button',
      {
        type: 'button',
        class: 'tile',
        dataset: { service: s.code, state },
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
  const closed = status.state !== 'open';
  $('#home-h').textContent = closed ? t(status.state === 'closed' ? 'hall_closed' : 'hall_cutoff') : t('choose_service');
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
  const body = { service: flow.service.code, source: SOURCE };
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
  const print = res.print || tk.print;
  $('#t-service').textContent = bi(tk.service_name);
  $('#t-number').textContent = tk.number;
  const mark = $('#t-mark');
  mark.hidden = !tk.green && !tk.mark;
  mark.textContent = (tk.mark ? tk.mark + ' ' : '') + className(tk.priority);
  $('#t-ahead').textContent = t('people_n', { n: tk.ahead });
  $('#t-wait').textContent = minutes(tk.estimated_wait_s);
  const p = $('#t-print');
  if (print && print.status === 'failed') {
    p.dataset.kind = 'failed';
    p.textContent = t('print_failed');
  } else {
    p.dataset.kind = print ? print.status : 'ok';
    p.textContent = print && print.status === 'printed' ? t('print_ok') : t('print_remember');
  }
  $('#t-url').textContent = tk.status_url;
  document.body.dataset.ticket = tk.id;
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
    const res = await api(`/tickets/${id}/notify`, { method: 'POST', body: { phone: $('#k-phone').value.trim() } });
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
    await api('/alerts', { method: 'POST', body: { kind: 'guide', source: SOURCE } });
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

async function load() {
  try {
    info = await api('/services');
    clockBase = parseNow(info.now);
    renderHeader();
    renderGreen();
    renderTiles();
  } catch (e) {
    message(t('err_generic', { message: e.message }));
    setTimeout(load, 5000);
  }
}

function init() {
  setLang(defaultLang, false);
  langButton($('#lang-toggle'));
  buildKeypad($('#keypad'), $('#appt-code'), 12);
  buildKeypad($('#k-keypad'), $('#k-phone'), 20);
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
  const stream = new Stream('/ws/display', {
    onFrame: (f) => {
      model.apply(f);
      if (f.type === 'snapshot') {
        if (day && f.day !== day) {
          full.clear();
          load();
        }
        day = f.day;
      }
      if (f.type === 'snapshot' || f.type === 'queue_changed') renderTiles();
    },
  });
  window.qcall = { stream, model };
  // Opening hours move with the clock.
  setInterval(renderTiles, 30000);
  load().then(() => show('home'));
}

init();
