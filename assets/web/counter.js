// /counter: the clerk's terminal. The clerk signs in with their 工号,
// password and counter (POST /api/v1/session), or with a counter's token, then
// sends commands over /ws/counter and follows the same event stream, so the
// screen always shows what the server committed. Its buttons, their labels
// and keyboard shortcuts come from the server's table of counter actions
// (GET /api/v1/counter-actions): an action the server accepts is a button
// here without a change to this page. The page decides only which buttons
// look usable in the counter's state; the server decides what is allowed.
// The connection state is always on screen.

import { $, api, bi, clock, counterName, el, HallModel, langButton, onLang, params, setLang, showConnection, signInError, staffSignIn, staffSignOut, Stream, t, translate, channelMark } from './common.js';
import { STRINGS } from './i18n.js';
import { caseCardInit, caseCardShow } from './case.js';

/** SLA and rating alerts for supervisors and clerks alike, by id. */
const banners = new Map();

const KEY = 'qcall.counter.token';
/** Set while the token is a staff session's (signed out with DELETE /session). */
const SESSION = 'qcall.counter.session';

/** Pairs shown as one toggling button: the half that fits the counter's
 *  state is shown, the other hidden. The table gives the shortcut to
 *  pause and close only; their partner answers to the same key. */
const PARTNER = { pause: 'resume', resume: 'pause', close: 'open', open: 'close' };
/** How each action looks (by the table's name); others look plain. */
const STYLE = { 'call-next': 'primary', 'no-show': 'warn' };
/** Actions whose arguments the clerk chooses in a dialog. */
const DIALOGS = { transfer: () => openTransfer(), suspend: () => openSuspend(), call: () => openCall() };

let actions = null; // GET /api/v1/counter-actions, in the table's order
let secret = null; // the signed-in token, for the HTTP-only suspend

const model = new HallModel();
let info = null; // GET /api/v1/services
let me = null; // counter id
let stream = null;
const received = new Map(); // service -> performance.now() of its last queue figures

function savedToken() {
  return localStorage.getItem(KEY) || sessionStorage.getItem(KEY);
}

function service(code) {
  return info && info.services.find((s) => s.code === code);
}

/** 工号 and password: a session at the chosen counter, then as a token. */
async function staffSignInHere(remember) {
  const staff = $('#staff-id').value.trim();
  const password = $('#password').value;
  if (!staff || !password) {
    $('#signin-error').textContent = t('err_signin_empty');
    return;
  }
  let session;
  try {
    session = await staffSignIn(staff, password, $('#signin-counter').value || undefined);
  } catch (e) {
    $('#signin-error').textContent = signInError(e);
    return;
  }
  if (session.role === 'guide') {
    await staffSignOut(session.token);
    $('#signin-error').textContent = t('err_not_clerk_here');
    return;
  }
  $('#password').value = '';
  (remember ? localStorage : sessionStorage).setItem(SESSION, '1');
  await signIn(session.token, remember, $('#signin-counter').value);
}

async function signIn(token, remember, chosen) {
  $('#signin-error').textContent = '';
  let who;
  try {
    who = await api('/whoami', { token });
  } catch (e) {
    const session = localStorage.getItem(SESSION) || sessionStorage.getItem(SESSION);
    $('#signin-error').textContent = e.status === 401 ? t(session ? 'err_session_ended' : 'err_bad_token') : t('err_generic', { message: e.message });
    if (e.status === 401) forget();
    return;
  }
  const counter = who.role === 'counter' ? who.subject : chosen || params.get('counter');
  if (who.role === 'guide' || !counter) {
    $('#signin-error').textContent = who.role === 'supervisor' ? t('err_supervisor_needs_counter') : t('err_not_counter');
    return;
  }
  (remember ? localStorage : sessionStorage).setItem(KEY, token);
  info = await api('/services').catch(() => null);
  if (!actions) await loadActions();
  me = counter;
  secret = token;
  caseCardInit(token);
  $('#signin').hidden = true;
  $('#desk').hidden = false;
  $('#sign-out').hidden = false;
  $('#keys-help').hidden = false;
  stream = new Stream('/ws/counter', {
    auth: who.role === 'counter' ? { token } : { token, counter },
    onState: (state, reason) => {
      showConnection($('#conn'), state);
      if (state === 'refused') {
        const session = localStorage.getItem(SESSION) || sessionStorage.getItem(SESSION);
        signOut();
        $('#signin-error').textContent = session ? t('err_session_ended') : reason || t('err_bad_token');
      }
      renderButtons();
    },
    onFrame: (f) => {
      model.apply(f);
      if (f.type === 'alert' && f.message && f.kind !== 'guide') {
        if (f.active === false) banners.delete(f.id);
        else banners.set(f.id, f);
        const b = $('#alert-banner');
        const latest = [...banners.values()].pop();
        b.hidden = !latest;
        b.textContent = latest ? `⚠ ${bi(latest.message)}` : '';
      }
      if (f.type === 'snapshot' || f.type === 'queue_changed') {
        for (const q of model.queues.values()) if (f.type === 'snapshot' || f.services.some((s) => s.service === q.service)) received.set(q.service, performance.now());
      }
      render();
    },
  });
  window.qcall = { stream, model, actions };
  render();
}

function forget() {
  for (const store of [localStorage, sessionStorage]) {
    store.removeItem(KEY);
    store.removeItem(SESSION);
  }
}

async function signOut() {
  // Ended on the server before the page says so.
  if (localStorage.getItem(SESSION) || sessionStorage.getItem(SESSION)) await staffSignOut(secret);
  forget();
  if (stream) stream.stop();
  stream = null;
  me = null;
  secret = null;
  $('#desk').hidden = true;
  $('#signin').hidden = false;
  $('#sign-out').hidden = true;
  $('#keys-help').hidden = true;
  $('#token').value = '';
  $('#staff-id').focus();
}

/** The counters to choose from at sign-in; `?counter=` preselects one. */
async function loadCounters() {
  const list = await api('/counters').catch(() => null);
  if (!list) return;
  const select = $('#signin-counter');
  const want = select.value || params.get('counter') || '';
  select.replaceChildren(...list.counters.map((c) => el('option', { value: c.id }, counterName(c))));
  if (want) select.value = want;
}

function mine() {
  return me ? model.counters.get(me) : null;
}

/** Case numbers of tickets, by id, from this counter's command results
 *  (staff views carry them; the public stream does not). */
const caseNos = new Map();

// ---------------------------------------------------------------- render

function render() {
  const c = mine();
  if (!c) return;
  $('#counter-name').textContent = counterName(c);
  $('#counter-state').textContent = t('state_' + c.state);
  $('#counter-state').dataset.state = c.state;
  document.title = `${counterName(c)} · ${t('counter_title')}`;
  renderCurrent(c);
  // The stream's tickets are public; a case number comes with the results
  // of this counter's own commands.
  caseCardShow(c.current && { ...c.current, case_no: caseNos.get(c.current.id) });
  renderWaiting(c);
  renderButtons();
}

function renderCurrent(c) {
  const box = $('#current');
  const tk = c.current;
  if (!tk) {
    const [note, action] = c.state === 'paused' ? ['paused_note', 'resume'] : c.state === 'closed' ? ['closed_note', 'call-next'] : ['no_current', 'call-next'];
    box.replaceChildren(el('p', { class: 'empty' }, t(note, { action: press(action) })));
    $('#materials').replaceChildren();
    return;
  }
  const waited = (Date.now() - Date.parse(tk.issued_at)) / 1000;
  box.replaceChildren(
    el('p', { class: 'cur-number', id: 'cur-number' }, tk.number, channelMark(tk)),
    el('p', { class: 'cur-meta' },
      el('span', { class: 'pill', dataset: { state: tk.state } }, t('tstate_' + tk.state)),
      tk.green || tk.mark ? el('span', { class: 'pill green' }, (tk.mark ? tk.mark + ' ' : '') + className(tk.priority)) : el('span', { class: 'pill' }, className(tk.priority)),
      el('span', {}, bi(tk.service_name)),
    ),
    el('dl', { class: 'facts' },
      el('div', {}, el('dt', {}, t('waited')), el('dd', { id: 'cur-waited' }, clock(tk.called_at ? (Date.parse(tk.called_at) - Date.parse(tk.issued_at)) / 1000 : waited))),
      el('div', {}, el('dt', {}, t('issued_at')), el('dd', {}, tk.issued_at.slice(11, 16))),
      el('div', {}, el('dt', {}, t('recalls')), el('dd', {}, String(tk.recalls))),
    ),
  );
  const s = service(tk.service);
  $('#materials').replaceChildren(...(s ? s.materials.map((m) => el('li', {}, bi(m))) : []));
}

function className(id) {
  const c = info && info.classes.find((c) => c.id === id);
  return c ? bi(c.name) : id;
}

function renderWaiting(c) {
  const rows = c.services.map((code) => {
    const q = model.queues.get(code);
    const s = service(code);
    let oldest = q && q.oldest_wait_s != null ? q.oldest_wait_s + (performance.now() - (received.get(code) || performance.now())) / 1000 : null;
    let sla = 'green';
    if (s && oldest != null) sla = oldest >= s.target_wait.red_s ? 'red' : oldest >= s.target_wait.yellow_s ? 'yellow' : 'green';
    return el('tr', { dataset: { sla, service: code } },
      el('th', { scope: 'row' }, el('span', { class: 'sla-dot', 'aria-hidden': 'true' }), `${code} ${s ? bi(s.name) : ''}`),
      el('td', { class: 'num' }, String(q ? q.waiting : 0)),
      el('td', { class: 'num' }, oldest != null ? clock(oldest) : '–', sla !== 'green' ? el('span', { class: 'visually-hidden' }, ' ' + t('sla_' + sla)) : null),
    );
  });
  $('#waiting').replaceChildren(...rows);
}

// ---------------------------------------------------------------- buttons

async function loadActions() {
  try {
    actions = (await api('/counter-actions')).actions;
  } catch {
    actions = null; // tried again at sign-in
    return;
  }
  renderActions();
}

function spec(name) {
  return actions && actions.find((a) => a.name === name);
}

/** The key of an action: its own, or its toggle partner's. */
function keyOf(name) {
  const a = spec(name);
  const p = spec(PARTNER[name]);
  return (a && a.key) || (p && p.key) || null;
}

/** “Label” (K): how a note names the button to press. */
function press(name) {
  const a = spec(name);
  if (!a) return '';
  const key = keyOf(name);
  return `“${bi(a.label)}”${key ? ` (${key.toUpperCase()})` : ''}`;
}

/** An action needs a dialog when it has an argument the clerk must give. */
function needsArgs(a) {
  return a.args.some((g) => g.need !== 'optional');
}

/** One button per action of the table, in its order; labels in the
 *  current language (called again on a language switch). */
function renderActions() {
  if (!actions) return;
  const grid = $('#action-grid');
  const buttons = actions.map((a) => {
    const key = keyOf(a.name);
    const b = el('button', { type: 'button', class: ['act', STYLE[a.name]].filter(Boolean).join(' '), dataset: { cmd: a.name } },
      el('span', { class: 'act-label' }, bi(a.label)),
      key ? el('kbd', {}, key.toUpperCase()) : null,
    );
    if (key) b.setAttribute('aria-keyshortcuts', key.toUpperCase());
    b.addEventListener('click', () => run(a.name));
    return b;
  });
  grid.replaceChildren(...buttons);
  const keys = actions.filter((a) => a.key).map((a) => {
    const partner = spec(PARTNER[a.name]);
    return `${a.key.toUpperCase()} ${bi(a.label)}${partner ? '/' + bi(partner.label) : ''}`;
  });
  $('#keys-help').textContent = t('keys_title') + keys.join(' · ');
  renderButtons();
}

function renderButtons() {
  if (!actions) return;
  const c = mine();
  // Live and holding the counter's state (the snapshot follows auth_ok).
  const live = !!(stream && stream.state === 'live' && c);
  const st = c ? c.state : 'closed';
  const has = !!(c && c.current);
  const called = !!(has && c.current.state === 'called');
  // What looks usable in this state; the server has the last word. An
  // action not named here is enabled whenever the page is live.
  const enabled = {
    'call-next': st !== 'paused',
    call: !has,
    recall: st === 'calling',
    'no-show': st === 'calling',
    requeue: st === 'calling' && called,
    start: st === 'calling',
    finish: has,
    transfer: has,
    suspend: has,
    pause: st !== 'closed' && st !== 'paused' && !has,
    resume: st === 'paused',
    open: st === 'closed',
    close: st !== 'closed' && !has,
  };
  // Of a toggling pair, the half that applies now is shown.
  const shown = { pause: st !== 'paused', resume: st === 'paused', close: st !== 'closed', open: st === 'closed' };
  for (const a of actions) {
    const b = document.querySelector(`.act[data-cmd="${a.name}"]`);
    if (!b) continue;
    const usable = a.name in enabled ? enabled[a.name] : true;
    b.disabled = !live || !usable || (needsArgs(a) && !DIALOGS[a.name]);
    b.hidden = a.name in shown ? !shown[a.name] : false;
  }
}

// ---------------------------------------------------------------- actions

function result(text, kind = 'ok') {
  const r = $('#result');
  r.textContent = text;
  r.dataset.kind = kind;
}

/** What the result line says after `name` was done to ticket `number`. */
function done(name, number) {
  const key = 'done_' + name.replace(/-/g, '_');
  if (key in STRINGS) return t(key, { number });
  const a = spec(name);
  return t('done_action', { action: a ? bi(a.label) : name, number });
}

function noteCase(ticket) {
  if (ticket && ticket.case_no) {
    caseNos.set(ticket.id, ticket.case_no);
    render();
  }
}

async function run(name, args) {
  const c = mine();
  if (!stream || !c) return;
  if (!args && DIALOGS[name]) {
    DIALOGS[name]();
    return;
  }
  try {
    const r = await stream.command(name, args);
    noteCase(r.ticket);
    if (name === 'call-next') result(r.ticket ? t('called_n', { number: r.ticket.number }) : t('nobody_waiting'), r.ticket ? 'ok' : 'info');
    else result(done(name, r.ticket ? r.ticket.number : ''));
  } catch (e) {
    result(e.code === 'offline' ? t('err_offline') : e.message, 'error');
  }
}

/** Call a specific number (叫指定号): typed by the clerk, with a reason;
 *  the server says when that ticket does not wait for this counter. */
function openCall() {
  if (!mine()) return;
  $('#call-number').value = '';
  $('#call-reason').value = '';
  $('#call-error').textContent = '';
  $('#call-reasons').replaceChildren(el('option', { value: t('call_reason_away') }));
  $('#call-dialog').showModal();
  $('#call-number').focus();
}

async function submitCall(e) {
  e.preventDefault();
  const number = $('#call-number').value.trim().toUpperCase();
  const reason = $('#call-reason').value.trim();
  if (!number || !reason) {
    $('#call-error').textContent = t('call_need_both');
    return;
  }
  try {
    const r = await stream.command('call', { number, reason });
    noteCase(r.ticket);
    $('#call-dialog').close();
    result(t('called_n', { number: r.ticket ? r.ticket.number : number }));
  } catch (err) {
    // Stays open: the clerk corrects the number or gives up.
    const known = { offline: 'err_offline', unknown_number: 'err_unknown_number', not_for_this_counter: 'err_not_for_counter' };
    $('#call-error').textContent = known[err.code] ? t(known[err.code], { number }) : err.message;
  }
}

function openTransfer() {
  const c = mine();
  if (!c || !c.current || !info) return;
  const dlg = $('#transfer-dialog');
  $('#transfer-services').replaceChildren(
    ...info.services.filter((s) => s.code !== c.current.service).map((s) =>
      el('button', { type: 'button', class: 'choice', onclick: () => { dlg.close(); run('transfer', { service: s.code }); } }, `${s.code} ${bi(s.name)}`)),
  );
  $('#transfer-counters').replaceChildren(
    ...[...model.counters.values()].filter((o) => o.id !== me).map((o) =>
      el('button', { type: 'button', class: 'choice', onclick: () => { dlg.close(); run('transfer', { counter: o.id }); } }, `${counterName(o)} · ${t('state_' + o.state)}`)),
  );
  dlg.showModal();
}

/** Suspend (挂起待补件): tick what is missing from the service's list
 *  and/or type other items, then the applicant gets the notice slip. */
function openSuspend() {
  const c = mine();
  if (!c || !c.current) return;
  const s = service(c.current.service);
  $('#suspend-ticket').textContent = `${c.current.number} · ${bi(c.current.service_name)}`;
  $('#suspend-materials').replaceChildren(
    ...(s ? s.materials : []).map((m, i) =>
      el('label', { class: 'check' },
        el('input', { type: 'checkbox', value: String(i), dataset: { zh: m.zh || '', en: m.en || '' } }),
        el('span', {}, bi(m), bi(m, true) && bi(m, true) !== bi(m) ? el('small', {}, bi(m, true)) : null))),
  );
  $('#suspend-materials-box').hidden = !(s && s.materials.length);
  $('#suspend-extra').value = '';
  $('#suspend-note').value = '';
  $('#suspend-error').textContent = '';
  $('#suspend-dialog').showModal();
}

async function submitSuspend(e) {
  e.preventDefault();
  // The slip is for applicants of either language: each listed material
  // goes out as "中文 / English", as the slip's own headings are.
  const ticked = [...document.querySelectorAll('#suspend-materials input:checked')].map((i) => [i.dataset.zh, i.dataset.en].filter(Boolean).join(' / '));
  const typed = $('#suspend-extra').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const missing = [...ticked, ...typed];
  if (!missing.length) {
    $('#suspend-error').textContent = t('suspend_need_one');
    return;
  }
  const note = $('#suspend-note').value.trim();
  // Over HTTP, not the websocket: the HTTP action prints the notice slip
  // and says how that went (`notice_print`).
  let r;
  try {
    r = await api(`/counters/${encodeURIComponent(me)}/suspend`, { method: 'POST', token: secret, body: note ? { missing, note } : { missing } });
  } catch (err) {
    $('#suspend-error').textContent = err.code === 'offline' ? t('err_offline') : err.message;
    return;
  }
  $('#suspend-dialog').close();
  const text = done('suspend', r && r.ticket ? r.ticket.number : '');
  const print = r && r.notice_print;
  if (!print) result(text);
  else if (print.status === 'printed') result(`${text} · ${t('notice_printed')}`);
  else if (print.status === 'failed') result(`${text} · ${t('notice_failed', { reason: print.reason || '' })}`, 'error');
  else result(`${text} · ${t('notice_none')}`, 'info');
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest('input, textarea, select, dialog')) return;
  if (!actions || !me) return;
  const key = e.key.toLowerCase();
  const a = actions.find((x) => x.key === key);
  if (!a) return;
  e.preventDefault();
  // A toggle's key presses whichever half is shown.
  let button = document.querySelector(`.act[data-cmd="${a.name}"]`);
  if (button && button.hidden && PARTNER[a.name]) button = document.querySelector(`.act[data-cmd="${PARTNER[a.name]}"]`);
  if (button && !button.disabled) {
    button.classList.add('pressed');
    setTimeout(() => button.classList.remove('pressed'), 150);
    run(button.dataset.cmd);
  }
}

function init() {
  setLang(params.get('lang') || localStorage.getItem('qcall.lang') || 'zh', false);
  langButton($('#lang-toggle'));
  translate(document);
  showConnection($('#conn'), 'offline');
  onLang(() => {
    renderActions();
    render();
    loadCounters();
    if (!me) showConnection($('#conn'), 'offline');
    else showConnection($('#conn'), stream ? stream.state : 'offline');
  });
  $('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('#token').value.trim();
    if (token) {
      forget();
      signIn(token, $('#remember').checked);
    }
    else staffSignInHere($('#remember').checked);
  });
  $('#sign-out').addEventListener('click', signOut);
  $('#suspend-form').addEventListener('submit', submitSuspend);
  $('#call-form').addEventListener('submit', submitCall);
  $('#call-cancel').addEventListener('click', () => $('#call-dialog').close());
  $('#suspend-cancel').addEventListener('click', () => $('#suspend-dialog').close());
  document.addEventListener('keydown', onKey);
  setInterval(() => {
    const c = mine();
    if (c) {
      renderWaiting(c);
    }
  }, 1000);
  loadActions();
  loadCounters();
  const saved = savedToken();
  if (saved) signIn(saved, !!localStorage.getItem(KEY));
  else $('#staff-id').focus();
}

init();
