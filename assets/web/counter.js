// /counter: the clerk's terminal. Signs in with the counter's token, then
// sends commands over /ws/counter and follows the same event stream, so the
// screen always shows what the server committed. Keyboard shortcuts for
// every action; the connection state is always on screen.

import { $, api, bi, clock, counterName, el, HallModel, langButton, onLang, params, setLang, showConnection, Stream, t, translate } from './common.js';

/** SLA and rating alerts for supervisors and clerks alike, by id. */
const banners = new Map();

const KEY = 'qcall.counter.token';
const SHORTCUTS = { c: 'call_next', r: 'recall', s: 'start', f: 'finish', n: 'no_show', t: 'transfer', p: 'pause', o: 'close' };

const model = new HallModel();
let info = null; // GET /api/v1/services
let me = null; // counter id
let stream = null;
const received = new Map(); // service -> performance.now() of its last queue figures

function token() {
  return localStorage.getItem(KEY) || sessionStorage.getItem(KEY);
}

function service(code) {
  return info && info.services.find((s) => s.code === code);
}

async function signIn(secret, remember) {
  $('#signin-error').textContent = '';
  let who;
  try {
    who = await api('/whoami', { token: secret });
  } catch (e) {
    $('#signin-error').textContent = e.status === 401 ? t('err_bad_token') : t('err_generic', { message: e.message });
    return;
  }
  const counter = who.role === 'counter' ? who.subject : params.get('counter');
  if (who.role === 'guide' || !counter) {
    $('#signin-error').textContent = who.role === 'supervisor' ? t('err_supervisor_needs_counter') : t('err_not_counter');
    return;
  }
  (remember ? localStorage : sessionStorage).setItem(KEY, secret);
  info = await api('/services').catch(() => null);
  me = counter;
  $('#signin').hidden = true;
  $('#desk').hidden = false;
  $('#sign-out').hidden = false;
  $('#keys-help').hidden = false;
  stream = new Stream('/ws/counter', {
    auth: who.role === 'counter' ? { token: secret } : { token: secret, counter },
    onState: (state, reason) => {
      showConnection($('#conn'), state);
      if (state === 'refused') {
        signOut();
        $('#signin-error').textContent = reason || t('err_bad_token');
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
  window.qcall = { stream, model };
  render();
}

function signOut() {
  localStorage.removeItem(KEY);
  sessionStorage.removeItem(KEY);
  if (stream) stream.stop();
  stream = null;
  me = null;
  $('#desk').hidden = true;
  $('#signin').hidden = false;
  $('#sign-out').hidden = true;
  $('#keys-help').hidden = true;
  $('#token').value = '';
  $('#token').focus();
}

function mine() {
  return me ? model.counters.get(me) : null;
}

// ---------------------------------------------------------------- render

function render() {
  const c = mine();
  if (!c) return;
  $('#counter-name').textContent = counterName(c);
  $('#counter-state').textContent = t('state_' + c.state);
  $('#counter-state').dataset.state = c.state;
  document.title = `${counterName(c)} · ${t('counter_title')}`;
  renderCurrent(c);
  renderWaiting(c);
  renderButtons();
}

function renderCurrent(c) {
  const box = $('#current');
  const tk = c.current;
  if (!tk) {
    box.replaceChildren(el('p', { class: 'empty' }, t(c.state === 'paused' ? 'paused_note' : c.state === 'closed' ? 'closed_note' : 'no_current')));
    $('#materials').replaceChildren();
    return;
  }
  const waited = (Date.now() - Date.parse(tk.issued_at)) / 1000;
  box.replaceChildren(
    el('p', { class: 'cur-number', id: 'cur-number' }, tk.number),
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

function renderButtons() {
  const c = mine();
  // Live and holding the counter's state (the snapshot follows auth_ok).
  const live = !!(stream && stream.state === 'live' && c);
  const st = c ? c.state : 'closed';
  const has = !!(c && c.current);
  const enabled = {
    call_next: live && st !== 'paused',
    recall: live && st === 'calling',
    start: live && st === 'calling',
    finish: live && has,
    no_show: live && st === 'calling',
    transfer: live && has,
    pause: live && (st === 'paused' || (st !== 'closed' && !has)),
    close: live && !has,
  };
  for (const b of document.querySelectorAll('.act')) b.disabled = !enabled[b.dataset.cmd];
  const pause = $('#pause-btn span');
  pause.dataset.i18n = st === 'paused' ? 'resume' : 'pause';
  pause.textContent = t(pause.dataset.i18n);
  const close = $('#close-btn span');
  close.dataset.i18n = st === 'closed' ? 'open_counter' : 'close_counter';
  close.textContent = t(close.dataset.i18n);
}

// ---------------------------------------------------------------- actions

function result(text, kind = 'ok') {
  const r = $('#result');
  r.textContent = text;
  r.dataset.kind = kind;
}

async function run(cmd, args) {
  const c = mine();
  if (!stream || !c) return;
  if (cmd === 'pause' && c.state === 'paused') cmd = 'resume';
  if (cmd === 'close' && c.state === 'closed') cmd = 'open';
  if (cmd === 'transfer' && !args) {
    openTransfer();
    return;
  }
  try {
    const r = await stream.command(cmd, args);
    if (cmd === 'call_next') result(r.ticket ? t('called_n', { number: r.ticket.number }) : t('nobody_waiting'), r.ticket ? 'ok' : 'info');
    else result(t('done_' + cmd, { number: r.ticket ? r.ticket.number : '' }));
  } catch (e) {
    result(e.code === 'offline' ? t('err_offline') : e.message, 'error');
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

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest('input, textarea, select, dialog')) return;
  const cmd = SHORTCUTS[e.key.toLowerCase()];
  if (!cmd || !me) return;
  const button = document.querySelector(`.act[data-cmd="${cmd}"]`);
  e.preventDefault();
  if (button && !button.disabled) {
    button.classList.add('pressed');
    setTimeout(() => button.classList.remove('pressed'), 150);
    run(cmd);
  }
}

function init() {
  setLang(params.get('lang') || localStorage.getItem('qcall.lang') || 'zh', false);
  langButton($('#lang-toggle'));
  translate(document);
  showConnection($('#conn'), 'offline');
  onLang(() => {
    render();
    if (!me) showConnection($('#conn'), 'offline');
    else showConnection($('#conn'), stream ? stream.state : 'offline');
  });
  $('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn($('#token').value.trim(), $('#remember').checked);
  });
  $('#sign-out').addEventListener('click', signOut);
  for (const b of document.querySelectorAll('.act')) b.addEventListener('click', () => run(b.dataset.cmd));
  document.addEventListener('keydown', onKey);
  setInterval(() => {
    const c = mine();
    if (c) {
      renderWaiting(c);
    }
  }, 1000);
  const saved = token();
  if (saved) signIn(saved, !!localStorage.getItem(KEY));
  else $('#token').focus();
}

init();
