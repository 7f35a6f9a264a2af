// /display: the wall screen (1920×1080, no input). The latest call in very
// large type, the previous calls, every counter's state, waiting counts and
// a notice ticker. Live over /ws/display; after a drop it reconnects with
// ?since=SEQ, so calls made while it was away still appear.
//
// URL options: ?zone=NAME or ?services=A,B (which services), ?layout=list,
// ?chime=1|0, ?lang=en.

import { $, api, bi, counterName, el, HallModel, params, setLang, showConnection, Stream, t, translate, channelMark } from './common.js';

const model = new HallModel();
let settings = { layout: 'columns', history: 6, chime: false, ticker: [], zones: [] };
let shown = null; // Set of service codes, or null for all
let offsetMin = null; // the hall's UTC offset, from the stream's timestamps
let skewMs = 0; // the daemon's clock minus ours: cheap TVs keep bad time
let audio = null;

function filterCalls() {
  return model.calls.filter((c) => !shown || shown.has(c.service)).filter((c) => c.counter);
}

function render() {
  if (model.hall) $('#hall-name').textContent = bi(model.hall);
  const calls = filterCalls();
  const [latest, ...rest] = calls;
  $('#latest-number').replaceChildren(latest ? latest.number : '—', channelMark(latest) || '');
  $('#latest-counter').textContent = latest ? counterName(latest.counter) : '';
  $('#latest-say').textContent = latest ? sentence(latest) : t('no_calls_yet');
  $('#latest').dataset.ticket = latest ? latest.id : '';
  fit($('#latest-counter'));
  const history = $('#history');
  history.replaceChildren(
    ...rest.slice(0, settings.history).map((c) =>
      el('li', { dataset: { ticket: c.id } },
        el('span', { class: 'h-number' }, c.number, channelMark(c)),
        el('span', { class: 'h-arrow', 'aria-hidden': 'true' }, '→'),
        el('span', { class: 'h-counter' }, counterName(c.counter)))),
  );
  const counters = [...model.counters.values()]
    .filter((c) => !shown || c.services.some((s) => shown.has(s)))
    .sort((a, b) => a.number - b.number);
  $('#counters').replaceChildren(
    ...counters.map((c) =>
      el('li', { dataset: { state: c.state, counter: c.id } },
        el('span', { class: 'c-name' }, counterName(c)),
        el('span', { class: 'c-ticket' }, c.current ? c.current.number : ''),
        el('span', { class: 'c-state' }, t('state_' + c.state)))),
  );
  const queues = [...model.queues.values()].filter((q) => !shown || shown.has(q.service));
  $('#queues').replaceChildren(
    ...queues.map((q) =>
      el('li', { dataset: { sla: q.sla, service: q.service } },
        el('span', { class: 'q-name' }, bi(q.name)),
        el('span', { class: 'q-count' }, String(q.waiting)),
        el('span', { class: 'q-unit' }, t('people')))),
  );
  document.body.dataset.seq = String(model.seq);
}

/** Shrinks a one-line text until it fits its box (long counter names). */
function fit(e) {
  e.style.fontSize = '';
  let size = parseFloat(getComputedStyle(e).fontSize);
  while (e.scrollWidth > e.clientWidth && size > 24) {
    size -= 4;
    e.style.fontSize = `${size}px`;
  }
}

/** 「请 A012 号到 3号窗口办理」 in the page's language, with the other below. */
function sentence(c) {
  const zh = `请 ${c.number} 号到 ${c.counter.name ? c.counter.name.zh : c.counter.number + '号窗口'} 办理`;
  const en = `Number ${c.number}, please go to ${c.counter.name ? c.counter.name.en : 'counter ' + c.counter.number}`;
  return document.documentElement.lang === 'en' ? en : zh;
}

function flash() {
  const box = $('#latest');
  box.classList.remove('flash');
  void box.offsetWidth; // restart the animation
  box.classList.add('flash');
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => box.classList.remove('flash'), 8000);
}

// ---------------------------------------------------------------- chime

function chimeWanted() {
  const p = params.get('chime');
  return p === '1' || (p !== '0' && settings.chime);
}

function chime() {
  if (!chimeWanted()) return;
  try {
    audio = audio || new AudioContext();
  } catch {
    return;
  }
  if (audio.state === 'suspended') {
    // Autoplay policy: a click (or Chrome's --autoplay-policy flag) unlocks it.
    $('#sound').hidden = false;
    return;
  }
  const now = audio.currentTime;
  [[659.25, 0], [523.25, 0.45]].forEach(([freq, at]) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + at);
    gain.gain.exponentialRampToValueAtTime(0.4, now + at + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.9);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + at);
    osc.stop(now + at + 1);
  });
}

// ---------------------------------------------------------------- clock & ticker

function tick() {
  const d = new Date(Date.now() + skewMs + (offsetMin ?? -new Date().getTimezoneOffset()) * 60000);
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  $('#clock').textContent = `${hh}:${mm}`;
}

function learnOffset(rfc) {
  const m = /([+-])(\d\d):(\d\d)$/.exec(rfc || '');
  if (!m) return;
  const next = (m[1] === '-' ? -1 : 1) * (+m[2] * 60 + +m[3]);
  if (next !== offsetMin) {
    offsetMin = next;
    tick();
  }
}

/** Active SLA alerts (红黄灯) by id, shown first in the ticker. */
const slaAlerts = new Map();

function renderTicker() {
  const items = [
    ...[...slaAlerts.values()].map((a) => `⚠ ${a.message.zh}  ${a.message.en}`),
    ...settings.ticker.map((n) => `${n.zh}  ${n.en}`),
  ];
  if (model.hotline) items.push(t('hotline_note', { hotline: model.hotline }));
  const track = $('#ticker');
  track.replaceChildren(...[...items, ...items].map((s, i) => el('span', { 'aria-hidden': i >= items.length ? 'true' : null }, s)));
  track.parentElement.hidden = items.length === 0;
  // Constant reading speed whatever the length.
  const chars = items.join('').length;
  track.style.animationDuration = `${Math.max(20, chars * 0.35)}s`;
}

// ---------------------------------------------------------------- start

/** Fetches the display settings again (after a config reload). */
async function reloadSettings() {
  try {
    const res = await api('/display');
    settings = res.display;
  } catch {
    return;
  }
  renderTicker();
  render();
}

async function init() {
  setLang(params.get('lang') === 'en' ? 'en' : 'zh', false);
  translate(document);
  try {
    const res = await api('/display');
    settings = res.display;
  } catch {
    // The defaults above still show calls.
  }
  const layout = params.get('layout') || settings.layout;
  document.body.dataset.layout = layout === 'list' ? 'list' : 'columns';
  const zoneName = params.get('zone');
  const zone = zoneName && settings.zones.find((z) => z.name === zoneName);
  if (zone) {
    shown = new Set(zone.services);
    $('#zone').textContent = bi(zone.title);
  } else if (params.get('services')) {
    shown = new Set(params.get('services').split(',').map((s) => s.trim()).filter(Boolean));
    $('#zone').textContent = [...shown].join(' · ');
  }
  renderTicker();
  $('#sound').addEventListener('click', () => {
    if (audio) audio.resume();
    $('#sound').hidden = true;
  });
  const stream = new Stream('/ws/display', {
    onState: (state) => showConnection($('#conn'), state),
    onFrame: (f) => {
      learnOffset(f.at || (f.queue && f.queue.at));
      if (f.type === 'snapshot' && f.queue) {
        skewMs = Date.parse(f.queue.at) - Date.now();
        tick();
      }
      // The daemon re-read its config: the ticker and layout may differ.
      if (f.type === 'config_reloaded') reloadSettings();
      if (f.type === 'alert' && f.message && f.kind !== 'rating') {
        if (f.active === false) slaAlerts.delete(f.id);
        else if (!shown || !f.service || shown.has(f.service)) slaAlerts.set(f.id, f);
        renderTicker();
      }
      const called = model.apply(f).filter((c) => !shown || shown.has(c.service));
      if (f.type === 'snapshot') renderTicker();
      render();
      if (called.length) {
        flash();
        chime();
      }
    },
  });
  // For tests and operators: window.qcall.stream.drop() simulates a network fault.
  window.qcall = { stream, model };
  tick();
  setInterval(tick, 10000);
  render();
}

init();
