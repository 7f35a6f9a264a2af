// /admin: the supervisor's view. A supervisor signs in with 工号 and
// password (POST /api/v1/session) or a supervisor token (kept in this
// browser), then shows the live hall — counters, queues with SLA colours,
// printer and audio health, alerts — and the day's statistics with plots.
// The overview comes from GET /api/v1/admin/overview (supervisor only) and
// stays live over /ws/staff, which carries what displays must not show
// (poor ratings with the applicant's comment).

import { $, api, bi, clock, counterName, el, HallModel, langButton, onLang, params, setLang, showConnection, signInError, staffSignIn, staffSignOut, Stream, t, translate } from './common.js';
import { ratingsAdmin, ratingsFrame } from './ratings-admin.js';
import { rectifyFrame, rectifyInit } from './rectify.js';

const KEY = 'qcall.admin.token';
/** Set while the token is a staff session's (signed out with DELETE /session). */
const SESSION = 'qcall.admin.session';
const model = new HallModel();
let secret = null;
let info = null;
let stream = null;
let alerts = [];
const devices = { printers: null, audio: null }; // null: loading; 'none': not configured; else Map
let statsTimer = null;
let actions = null; // GET /api/v1/counter-actions: the labels of open, close, pause, resume
let supervisorName = '';

// ---------------------------------------------------------------- sign-in

/** 工号 and password: a supervisor's session, then as a token. */
async function staffSignInHere() {
  const staff = $('#staff-id').value.trim();
  const password = $('#password').value;
  if (!staff || !password) {
    $('#signin-error').textContent = t('err_signin_empty');
    return;
  }
  let session;
  try {
    session = await staffSignIn(staff, password);
  } catch (e) {
    // A clerk's right password: asked for a counter, which is not this page.
    $('#signin-error').textContent = e.code === 'counter_required' ? t('err_not_supervisor') : signInError(e);
    return;
  }
  $('#password').value = '';
  if (session.role !== 'supervisor') {
    await staffSignOut(session.token);
    $('#signin-error').textContent = t('err_not_supervisor');
    return;
  }
  localStorage.setItem(SESSION, '1');
  await signIn(session.token);
}

async function signIn(token) {
  $('#signin-error').textContent = '';
  let overview;
  try {
    overview = await api('/admin/overview', { token });
  } catch (e) {
    const session = localStorage.getItem(SESSION);
    $('#signin-error').textContent =
      e.status === 401 ? t(session ? 'err_session_ended' : 'err_bad_token') : e.status === 403 ? t('err_not_supervisor') : t('err_generic', { message: e.message });
    if (e.status === 401 || e.status === 403) {
      localStorage.removeItem(KEY);
      localStorage.removeItem(SESSION);
    }
    return;
  }
  secret = token;
  localStorage.setItem(KEY, token);
  $('#signin').hidden = true;
  $('#board').hidden = false;
  $('#sign-out').hidden = false;
  supervisorName = overview.supervisor;
  $('#who').textContent = t('signed_in_as', { name: supervisorName });
  info = await api('/services').catch(() => null);
  if (info) $('#hall-name').textContent = `${bi(info.hall)} · ${t('admin_title')}`;
  model.counters = new Map(overview.counters.map((c) => [c.id, c]));
  model.queues = new Map(overview.queue.services.map((q) => [q.service, q]));
  // Replay the recent alert frames (oldest first) by the live rule: one entry
  // per alert, cleared SLA lights gone.
  alerts = [];
  for (const f of overview.alerts) {
    alerts = alerts.filter((a) => a.id !== f.id);
    if (f.active !== false) alerts.unshift(f);
  }
  actions = await api('/counter-actions').then((r) => r.actions).catch(() => null);
  renderLive();
  renderAlerts();
  loadStaff();
  loadDevices();
  loadStats();
  ratingsAdmin(token);
  rectifyInit(token);
  stream = new Stream('/ws/staff', {
    auth: { token },
    onState: (state, reason) => {
      showConnection($('#conn'), state);
      if (state === 'refused') {
        // The token was revoked (or the session ended) while the page was open.
        const session = localStorage.getItem(SESSION);
        signOut();
        $('#signin-error').textContent = session ? t('err_session_ended') : reason || t('err_bad_token');
      }
    },
    onFrame: onFrame,
  });
  window.qcall = { stream, model };
}

async function signOut() {
  // Ended on the server before the page says so.
  if (localStorage.getItem(SESSION)) await staffSignOut(secret);
  localStorage.removeItem(KEY);
  localStorage.removeItem(SESSION);
  if (stream) stream.stop();
  stream = null;
  secret = null;
  $('#board').hidden = true;
  $('#signin').hidden = false;
  $('#sign-out').hidden = true;
  $('#who').textContent = '';
  showConnection($('#conn'), 'offline');
}

function onFrame(f) {
  model.apply(f);
  ratingsFrame(f);
  rectifyFrame(f);
  if (f.type === 'alert') {
    // SLA lights come and go; the rest (guide calls, ratings) are a log,
    // and an acknowledged one stays where it was.
    const at = alerts.findIndex((a) => a.id === f.id);
    if (f.active === false) alerts = alerts.filter((a) => a.id !== f.id);
    else if (at >= 0 && f.ack) alerts[at] = f;
    else {
      alerts = alerts.filter((a) => a.id !== f.id);
      alerts.unshift(f);
    }
    renderAlerts();
  } else if (f.type === 'printer_state' || f.type === 'audio_state') {
    const kind = f.type === 'printer_state' ? 'printers' : 'audio';
    if (!(devices[kind] instanceof Map)) devices[kind] = new Map();
    const name = deviceName(f);
    devices[kind].set(name, f);
    renderDevices();
  } else {
    renderLive();
    if (/^ticket_(issued|done|no_show|called)$/.test(f.type) && isToday()) {
      clearTimeout(statsTimer);
      statsTimer = setTimeout(loadStats, 3000);
    }
  }
}

// ---------------------------------------------------------------- live hall

function service(code) {
  return info && info.services.find((s) => s.code === code);
}

function renderLive() {
  const counters = [...model.counters.values()].sort((a, b) => a.number - b.number);
  $('#counters').replaceChildren(
    ...counters.map((c) =>
      el('tr', { dataset: { state: c.state } },
        el('th', { scope: 'row' }, counterName(c)),
        el('td', {}, el('span', { class: 'pill', dataset: { state: c.state } }, t('state_' + c.state))),
        el('td', { class: 'num' }, c.current ? `${c.current.number} (${t('tstate_' + c.current.state)})` : '–'),
        el('td', {}, c.services.join(' · ')),
        el('td', { class: 'row-actions' }, ...counterButtons(c)))),
  );
  $('#queues').replaceChildren(
    ...[...model.queues.values()].map((q) => {
      const green = info ? info.classes.filter((c) => c.green).reduce((n, c) => n + (q.by_class[c.id] || 0), 0) : 0;
      return el('tr', { dataset: { sla: q.sla, service: q.service } },
        el('th', { scope: 'row' }, `${q.service} ${bi(q.name)}`),
        el('td', { class: 'num' }, String(q.waiting)),
        el('td', { class: 'num' }, String(green)),
        el('td', { class: 'num' }, q.oldest_wait_s != null ? clock(q.oldest_wait_s) : '–'),
        el('td', { class: 'num' }, String(q.issued_today)),
        el('td', {}, el('span', { class: 'sla-dot', 'aria-hidden': 'true' }), t('sla_' + q.sla)));
    }),
  );
}

/** What a supervisor may do to a counter in its state: the labels are
 *  the server's table of counter actions; the server has the last word. */
function counterButtons(c) {
  if (!actions) return [];
  const fits = { open: c.state === 'closed', pause: c.state === 'open_idle', resume: c.state === 'paused', close: c.state === 'open_idle' || c.state === 'paused' };
  return ['open', 'pause', 'resume', 'close']
    .filter((name) => fits[name])
    .map((name) => {
      const a = actions.find((x) => x.name === name);
      return el('button', { type: 'button', class: 'chip', dataset: { counter: c.id, cmd: name }, onclick: () => counterAction(c, name) }, a ? bi(a.label) : name);
    });
}

async function counterAction(c, name, body) {
  const out = $('#counter-result');
  out.replaceChildren();
  try {
    await api(`/counters/${encodeURIComponent(c.id)}/${name}`, { method: 'POST', token: secret, body: body || {} });
    const a = actions.find((x) => x.name === name);
    out.textContent = t('counter_done', { counter: counterName(c), action: a ? bi(a.label) : name });
  } catch (e) {
    out.textContent = e.message;
    // The last counter of a queue with people waiting: a supervisor may
    // close it anyway, and that is audited.
    if (e.code === 'last_counter') {
      out.append(' ', el('button', { type: 'button', class: 'chip warn', id: 'force-close', onclick: () => counterAction(c, 'close', { force: true }) }, t('force_close')));
    }
  }
}

async function ack(a, note) {
  try {
    const res = await api(`/alerts/${a.id}/ack`, { method: 'POST', token: secret, body: note ? { note } : {} });
    const at = alerts.findIndex((x) => x.id === a.id);
    if (at >= 0) alerts[at] = res.alert;
    renderAlerts();
  } catch (e) {
    $('#counter-result').textContent = e.message;
  }
}

function ackPart(a) {
  // SLA lights (string ids) clear by themselves; one-off alerts are acknowledged.
  if (typeof a.id !== 'number') return null;
  if (a.ack) {
    return el('span', { class: 'acked' }, t('acked', { by: a.ack.by, time: a.ack.at.slice(11, 16), note: a.ack.note ? ` · ${a.ack.note}` : '' }));
  }
  const note = el('input', { type: 'text', class: 'ack-note', maxlength: '500', 'aria-label': t('ack_note'), placeholder: t('ack_note') });
  return el('span', { class: 'ack' }, note, el('button', { type: 'button', class: 'chip', dataset: { ack: String(a.id) }, onclick: () => ack(a, note.value.trim()) }, t('ack')));
}

// ---------------------------------------------------------------- staff accounts

async function loadStaff() {
  let list;
  try {
    list = (await api('/staff', { token: secret })).staff;
  } catch (e) {
    $('#staff-result').textContent = e.message;
    return;
  }
  $('#staff-list').replaceChildren(
    ...list.map((s) =>
      el('tr', { dataset: { staff: s.id, state: s.state } },
        el('th', { scope: 'row' }, s.id),
        el('td', {}, s.name),
        el('td', {}, t('role_' + s.role)),
        el('td', {}, t('staff_state_' + s.state)),
        el('td', { class: 'row-actions' },
          el('button', { type: 'button', class: 'chip', dataset: { op: s.state === 'disabled' ? 'enable' : 'disable' }, onclick: () => staffChange(s, s.state === 'disabled' ? 'enable' : 'disable') },
            t(s.state === 'disabled' ? 'staff_enable' : 'staff_disable'))))),
  );
}

async function staffChange(s, change) {
  try {
    await api(`/staff/${encodeURIComponent(s.id)}/${change}`, { method: 'POST', token: secret, body: {} });
    $('#staff-result').textContent = '';
  } catch (e) {
    $('#staff-result').textContent = e.message;
  }
  loadStaff();
}

async function addStaff(e) {
  e.preventDefault();
  const body = { id: $('#new-id').value.trim(), name: $('#new-name').value.trim(), role: $('#new-role').value, password: $('#new-password').value };
  try {
    const r = await api('/staff', { method: 'POST', token: secret, body });
    $('#new-password').value = '';
    $('#new-id').value = '';
    $('#new-name').value = '';
    $('#staff-result').textContent = t('staff_added', { name: r.staff.name, id: r.staff.id });
  } catch (err) {
    $('#staff-result').textContent = err.message;
  }
  loadStaff();
}

// ---------------------------------------------------------------- a ticket's row

/** Today's ticket by number, with what a supervisor may do to it; the
 *  server refuses what does not fit its state and says why. */
async function findTicket(e) {
  if (e) e.preventDefault();
  const number = $('#find-number').value.trim().toUpperCase();
  $('#find-result').textContent = '';
  if (!number) return;
  let found;
  try {
    found = (await api(`/tickets?number=${encodeURIComponent(number)}`, { token: secret })).tickets;
  } catch (err) {
    $('#find-result').textContent = err.message;
    return;
  }
  if (!found.length) {
    $('#found').replaceChildren();
    $('#find-result').textContent = t('not_found_today', { number });
    return;
  }
  const fits = (tk) => ({ reprint: true, reenter: tk.state === 'no_show', cancel: tk.state === 'waiting' });
  $('#found').replaceChildren(
    ...found.map((tk) =>
      el('tr', { dataset: { ticket: String(tk.id), state: tk.state } },
        el('th', { scope: 'row' }, tk.number),
        el('td', {}, bi(tk.service_name)),
        el('td', {}, el('span', { class: 'pill', dataset: { state: tk.state } }, t('tstate_' + tk.state))),
        el('td', { class: 'row-actions' },
          ...['reprint', 'reenter', 'cancel'].filter((k) => fits(tk)[k]).map((k) =>
            el('button', { type: 'button', class: 'chip', dataset: { op: k }, onclick: () => ticketAction(tk, k) }, t(k === 'cancel' ? 'cancel_ticket' : k)))))),
  );
}

async function ticketAction(tk, kind) {
  try {
    await api(`/tickets/${tk.id}/${kind}`, { method: 'POST', token: secret, body: {} });
    await findTicket();
    $('#find-result').textContent = t('ticket_done_' + kind, { number: tk.number });
  } catch (err) {
    $('#find-result').textContent = err.message;
  }
}

function renderAlerts() {
  const list = $('#alerts');
  if (!alerts.length) {
    list.replaceChildren(el('li', { class: 'empty' }, t('no_alerts')));
    return;
  }
  list.replaceChildren(
    ...alerts.slice(0, 30).map((a) =>
      el('li', { dataset: { kind: a.kind } },
        el('time', {}, (a.at || '').slice(11, 16)),
        el('strong', {}, t('alert_' + a.kind)),
        el('span', {}, a.message ? bi(a.message) : a.source || ''),
        ackPart(a))),
  );
}

// ---------------------------------------------------------------- devices

function deviceName(d) {
  return String(d.id ?? d.name ?? d.printer ?? d.device ?? d.output ?? '');
}

async function loadDevices() {
  for (const kind of ['printers', 'audio']) {
    try {
      const res = await api('/' + kind, { token: secret });
      const list = Array.isArray(res) ? res : Array.isArray(res && res[kind]) ? res[kind] : res ? [res] : [];
      devices[kind] = new Map(list.map((d) => [deviceName(d), d]));
    } catch (e) {
      devices[kind] = e.status === 404 ? 'none' : 'error';
    }
  }
  renderDevices();
}

function renderDevices() {
  for (const kind of ['printers', 'audio']) {
    const box = $('#' + kind);
    const d = devices[kind];
    if (d === null) box.replaceChildren(el('li', {}, t('loading')));
    else if (d === 'none') box.replaceChildren(el('li', { class: 'empty', dataset: { state: 'none' } }, t('not_configured')));
    else if (d === 'error') box.replaceChildren(el('li', { dataset: { state: 'error' } }, t('device_unknown')));
    else if (!d.size) box.replaceChildren(el('li', { class: 'empty' }, t('not_configured')));
    else {
      box.replaceChildren(
        ...[...d.values()].map((x) => {
          const state = String(x.state ?? x.status ?? 'unknown');
          const ok = /^(ok|ready|idle|online|playing)$/.test(state);
          return el('li', { dataset: { state: ok ? 'ok' : 'bad' } },
            el('span', { class: 'sla-dot', 'aria-hidden': 'true' }),
            el('strong', {}, deviceName(x) || kind),
            el('span', {}, ' ' + state),
            x.message || x.error || x.detail ? el('small', {}, ' — ' + (x.message || x.error || x.detail)) : null);
        }),
      );
    }
  }
}

// ---------------------------------------------------------------- statistics

function isToday() {
  return !$('#date').value || $('#date').value === $('#date').dataset.today;
}

// ---------------------------------------------------------------- audit

/** The day's audit trail: overrides, re-entries, transfers, with who. */
async function loadAudit() {
  const date = $('#date').value;
  const q = date ? `?date=${date}` : '';
  let res;
  try {
    res = await api('/audit' + q, { token: secret });
  } catch (e) {
    $('#audit').replaceChildren(el('tr', {}, el('td', { colspan: '5' }, e.message)));
    return;
  }
  const rows = res.audit.slice().reverse();
  $('#audit').replaceChildren(
    ...(rows.length
      ? rows.map((r) =>
          el('tr', {},
            el('td', {}, (r.at || '').slice(11, 16)),
            el('td', {}, r.action),
            el('td', {}, r.by || ''),
            el('td', {}, r.ticket == null ? '' : String(r.ticket)),
            el('td', {}, r.detail || '')))
      : [el('tr', {}, el('td', { colspan: '5' }, t('audit_none')))]),
  );
  // The CSV needs the token too: fetch it and hand the browser a blob.
  $('#audit-csv').onclick = async (e) => {
    e.preventDefault();
    const res = await fetch(`/api/v1/audit${q ? q + '&' : '?'}format=csv`, { headers: { Authorization: `Bearer ${secret}` } });
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { href: url, download: `audit-${res.headers.get('date') ? (date || 'today') : 'today'}.csv` });
    a.click();
    URL.revokeObjectURL(url);
  };
}

async function loadStats() {
  loadAudit();
  const date = $('#date').value;
  let s;
  try {
    s = await api('/stats' + (date ? `?date=${date}` : ''), { token: secret });
  } catch (e) {
    $('#totals').replaceChildren(el('p', { class: 'error' }, e.message));
    return;
  }
  if (!$('#date').value) {
    $('#date').value = s.date;
    $('#date').dataset.today = s.date;
  }
  const m = (x) => (x == null ? '–' : (x / 60).toFixed(1));
  const pct = (x, signed = false) => (x == null ? '–' : `${signed && x > 0 ? '+' : ''}${Math.round(x * 100)}%`);
  const tot = s.total;
  const card = (label, value) => el('div', { class: 'total' }, el('span', { class: 'total-v' }, value), el('span', { class: 'total-l' }, label));
  $('#totals').replaceChildren(
    card(t('issued'), String(tot.issued)),
    card(t('served'), String(tot.served)),
    card(t('no_show_n'), String(tot.no_show)),
    card(t('open_now'), String(tot.open)),
    card(t('wait_p50_min'), m(tot.wait_s.p50)),
    card(t('wait_p90_min'), m(tot.wait_s.p90)),
    card(t('satisfaction'), tot.satisfaction == null ? '–' : tot.satisfaction.toFixed(2)),
    card(t('over_target'), `${tot.over_target.yellow} / ${tot.over_target.red}`),
    card(t('estimate_error_min'), m(tot.estimate_error_s)),
    card(t('estimate_bias'), pct(tot.estimate_bias, true)),
    card(t('estimate_coverage'), pct(tot.estimate_range_coverage)),
    card(t('appointments_missed'), `${s.appointments.total.missed} / ${s.appointments.total.booked}`),
  );
  const name = (code) => {
    const sv = service(code);
    return sv ? `${code} ${bi(sv.name)}` : code;
  };
  $('#stats-services').replaceChildren(
    ...s.services.map((g) =>
      el('tr', {},
        el('th', { scope: 'row' }, name(g.service)),
        ...[g.issued, g.served, g.no_show, m(g.wait_s.p50), m(g.wait_s.p90), m(g.service_time_s.p50), g.satisfaction == null ? '–' : g.satisfaction.toFixed(2), `${g.over_target.yellow} / ${g.over_target.red}`].map((v) =>
          el('td', { class: 'num' }, String(v))))),
  );
  $('#stats-channels').replaceChildren(
    ...(s.channels || []).map((g) =>
      el('tr', { dataset: { channel: g.channel } },
        el('th', { scope: 'row' }, t('channel_' + g.channel)),
        ...[g.issued, g.served, g.arrived, g.lapsed, m(g.wait_s.p50), m(g.wait_s.p90)].map((v) => el('td', { class: 'num' }, String(v))))),
  );
  $('#plot-services').replaceChildren(
    bars(s.services.map((g) => ({ label: g.service, values: [g.issued, g.served] })), [t('issued'), t('served')], ['#2563eb', '#16a34a']),
  );
  $('#plot-waits').replaceChildren(
    bars(s.services.map((g) => ({ label: g.service, values: [(g.wait_s.p50 || 0) / 60, (g.wait_s.p90 || 0) / 60] })), [t('wait_p50'), t('wait_p90')], ['#f59e0b', '#dc2626'], false),
  );
  $('#plot-counters').replaceChildren(
    bars(s.counters.map((g) => ({ label: g.counter, values: [g.served, g.no_show] })), [t('served'), t('no_show_n')], ['#16a34a', '#9ca3af']),
  );
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

/** A grouped bar chart as inline SVG, with a legend and a text title. */
function bars(groups, series, colors, integer = true) {
  const W = 460;
  const H = 220;
  const pad = { l: 36, r: 8, t: 24, b: 28 };
  const top = Math.max(...groups.flatMap((g) => g.values), 0);
  // Counts get whole-number gridlines; minutes get one decimal.
  const max = integer || top > 4 ? Math.max(4, Math.ceil(top / 4) * 4) : Math.max(1, top);
  const plotW = W - pad.l - pad.r;
  const plotH = H - pad.t - pad.b;
  const gw = groups.length ? plotW / groups.length : plotW;
  const bw = Math.max(4, (gw * 0.7) / series.length);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'plot' });
  root.append(svg('title', {}, series.join(' / ')));
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + plotH - (plotH * i) / 4;
    root.append(svg('line', { x1: pad.l, x2: W - pad.r, y1: y, y2: y, class: 'grid' }));
    const v = (max * i) / 4;
    root.append(svg('text', { x: pad.l - 4, y: y + 4, 'text-anchor': 'end', class: 'axis' }, Number.isInteger(v) ? v : v.toFixed(1)));
  }
  groups.forEach((g, gi) => {
    g.values.forEach((v, si) => {
      const h = (plotH * v) / max;
      const x = pad.l + gi * gw + (gw - bw * series.length) / 2 + si * bw;
      const r = svg('rect', { x, y: pad.t + plotH - h, width: bw - 2, height: h, fill: colors[si] });
      r.append(svg('title', {}, `${g.label} ${series[si]}: ${Math.round(v * 10) / 10}`));
      root.append(r);
    });
    root.append(svg('text', { x: pad.l + gi * gw + gw / 2, y: H - 10, 'text-anchor': 'middle', class: 'axis' }, g.label));
  });
  series.forEach((s, si) => {
    root.append(svg('rect', { x: pad.l + si * 120, y: 4, width: 12, height: 12, fill: colors[si] }));
    root.append(svg('text', { x: pad.l + si * 120 + 16, y: 14, class: 'axis' }, s));
  });
  return root;
}

// ---------------------------------------------------------------- start

function init() {
  setLang(params.get('lang') || localStorage.getItem('qcall.lang') || 'zh', false);
  langButton($('#lang-toggle'));
  translate(document);
  showConnection($('#conn'), 'offline');
  onLang(() => {
    renderLive();
    renderAlerts();
    renderDevices();
    if (secret) {
      loadStats();
      if (info) $('#hall-name').textContent = `${bi(info.hall)} · ${t('admin_title')}`;
      $('#who').textContent = t('signed_in_as', { name: supervisorName });
      showConnection($('#conn'), stream ? stream.state : 'offline');
    } else showConnection($('#conn'), 'offline');
  });
  $('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('#token').value.trim();
    if (token) {
      localStorage.removeItem(SESSION);
      signIn(token);
    } else staffSignInHere();
  });
  $('#sign-out').addEventListener('click', signOut);
  $('#find-form').addEventListener('submit', findTicket);
  $('#staff-form').addEventListener('submit', addStaff);
  $('#date').addEventListener('change', loadStats);
  const saved = localStorage.getItem(KEY);
  if (saved) signIn(saved);
  else $('#staff-id').focus();
}

init();
