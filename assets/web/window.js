// /window/{counter}: the small screen above a counter (a browser on a
// cheap display, no input). The counter's name, the number called or
// being served, the clerk's name and 工号, and 暂停服务 while paused.
// What it shows is GET /api/v1/window/{counter}, asked again whenever the
// public stream (/ws/display) carries a frame about this counter, so the
// server decides and the screen follows within a frame.

import { $, api, bi, params, setLang, showConnection, Stream, t, translate } from './common.js';

const me = decodeURIComponent(location.pathname.split('/').pop());
let shown = -1; // the seq of the answer on screen: older answers are stale
let body = null;

function render() {
  if (!body) return;
  $('#w-counter').textContent = bi(body.counter.name);
  document.title = `${bi(body.counter.name)} · ${t('window_title')}`;
  const state = $('#w-state');
  state.dataset.state = body.state;
  state.textContent = body.state === 'paused' ? t('window_paused') : body.state === 'closed' ? t('window_closed') : '';
  document.body.dataset.state = body.state;
  $('#w-number').textContent = body.current ? body.current.number : '—';
  const clerk = body.clerk;
  $('#w-clerk').textContent = clerk ? (clerk.id ? t('window_clerk', { name: clerk.name, id: clerk.id }) : clerk.name) : '';
}

async function load() {
  try {
    const res = await api(`/window/${encodeURIComponent(me)}`);
    $('#error').hidden = true;
    if (res.seq < shown) return;
    shown = res.seq;
    body = res;
    render();
  } catch (e) {
    $('#error').hidden = false;
    if (!body) $('#w-counter').textContent = me;
    $('#error').textContent = e.status === 404 ? t('err_no_counter', { counter: me }) : t('err_generic', { message: e.message });
  }
}

function concerns(f) {
  if (f.type === 'snapshot') return true;
  if (f.counter && f.counter.id === me) return true;
  return !!(f.ticket && f.ticket.counter && f.ticket.counter.id === me);
}

function init() {
  setLang(params.get('lang') || 'zh', false);
  translate(document);
  load();
  const stream = new Stream('/ws/display', {
    onState: (state) => showConnection($('#conn'), state),
    onFrame: (f) => {
      if (concerns(f)) load();
    },
  });
  window.qcall = { stream };
}

init();