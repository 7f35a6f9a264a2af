// /r: queueing from home on the phone. Lists the services with their
// current wait and whether they take remote tickets now (the server
// decides, and says why not), shows a service's materials before taking
// one, sends a code to the phone and, with the code, takes the ticket and
// opens its page (/t/{id}?k=...), which shows the place and when to leave.

import { $, api, bi, el, langButton, minutes, onLang, params, setLang, t, translate } from './common.js';

let list = null;
let hall = null;
let chosen = null;
let request = null;

function fail(err) {
  const e = $('#error');
  e.hidden = !err;
  e.textContent = err ? err.message : '';
}

function show(step) {
  for (const s of ['service', 'phone', 'code']) $(`#step-${s}`).hidden = s !== step;
}

function renderServices() {
  if (!list) return;
  $('#services').replaceChildren(
    ...list.services.map((s) =>
      el(
        'li',
        {},
        el(
          'button',
          { type: 'button', class: 'remote-service', 'data-service': s.service, disabled: !s.takes_remote, onclick: () => choose(s) },
          el('strong', {}, bi(s.name)),
          el('span', { class: 'small' }, t('remote_waiting', { n: s.waiting }), ' · ', t('est_wait'), ' ', minutes(s.estimated_wait_s)),
          s.takes_remote ? el('span', { class: 'small' }, t('remote_left', { n: Math.max(0, s.per_hour - s.taken_this_hour) })) : el('span', { class: 'small why-not' }, s.why_not || ''),
        ),
      ),
    ),
  );
}

function choose(s) {
  chosen = s;
  fail(null);
  $('#chosen').textContent = bi(s.name);
  $('#materials').replaceChildren(...s.materials.map((m) => el('li', {}, bi(m))));
  show('phone');
  $('#phone').focus();
}

async function load() {
  try {
    list = await api('/remote/services');
    renderServices();
  } catch (err) {
    fail(err);
  }
}

$('#back').addEventListener('click', () => {
  show('service');
  load();
});

$('#phone-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  fail(null);
  try {
    const phone = $('#phone').value.trim();
    const res = await api('/remote/start', { method: 'POST', body: { service: chosen.service, phone } });
    request = res.request_id;
    $('#code-sent').textContent = t('remote_code_sent', { phone: phone.slice(0, 3) + '****' + phone.slice(-4) });
    show('code');
    $('#code').focus();
  } catch (err) {
    fail(err);
  }
});

$('#code-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  fail(null);
  try {
    const res = await api('/remote/confirm', { method: 'POST', body: { request_id: request, code: $('#code').value.trim() } });
    const link = new URL(res.ticket.status_url, location.href);
    location.assign(link.pathname + link.search);
  } catch (err) {
    fail(err);
    if (err.code === 'code_locked' || err.code === 'code_expired') {
      show('phone');
    }
  }
});

async function init() {
  setLang(params.get('lang') || localStorage.getItem('qcall.lang') || (navigator.language.startsWith('zh') ? 'zh' : 'en'), false);
  langButton($('#lang-toggle'));
  translate(document);
  onLang(renderServices);
  hall = await api('/services').catch(() => null);
  if (hall) $('#hall-name').textContent = bi(hall.hall);
  onLang(() => hall && ($('#hall-name').textContent = bi(hall.hall)));
  await load();
}

init();
