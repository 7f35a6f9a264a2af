// /t/{id}: the applicant's phone, opened from the ticket's QR code. Shows
// the number, its state, people ahead and the estimated wait, and "go to
// counter 3 now" the moment it is called: live over /ws/display, no app.
// Waiting counts are re-read (debounced) only when its own queue moves.

import { $, api, bi, counterName, el, hhmm, langButton, onLang, params, setLang, showConnection, Stream, t, translate, channelMark } from './common.js';
import { ratingForm } from './rating-form.js';
import { fixRate } from './fix-rate.js';

const id = Number(location.pathname.split('/').pop());
// The ticket's key, from the QR code's link (`?k=...`): only its holder has
// it. Reading the ticket works without; leaving a phone number does not.
const key = params.get('k') || '';
let ticket = null;
let services = null;
let refetch = null;
let arrivalCode = null;

function render() {
  if (!ticket) return;
  const tk = ticket;
  $('#service').textContent = bi(tk.service_name);
  $('#number').replaceChildren(tk.number, channelMark(tk) || '');
  const state = $('#state');
  state.dataset.state = tk.state;
  state.textContent = t('tstate_long_' + tk.state);
  const go = $('#go');
  const called = tk.state === 'called' && tk.counter;
  go.hidden = !called && !(tk.state === 'serving' && tk.counter);
  if (!go.hidden) {
    go.replaceChildren(
      el('span', { class: 'go-label' }, t(called ? 'go_to' : 'at_counter')),
      el('strong', { class: 'go-counter' }, counterName(tk.counter)),
    );
  }
  document.body.dataset.state = tk.state;
  // A remote ticket not yet arrived waits too: its place, its estimate,
  // when it is expected to be called, and its check-in code (holder only).
  const remote = tk.state === 'remote';
  const waiting = tk.state === 'waiting' || remote;
  $('#facts').hidden = !waiting && tk.state !== 'called';
  $('#expected-row').hidden = !remote;
  $('#expected').textContent = remote ? hhmm(tk.expected_call_at) : '–';
  $('#leave').hidden = !remote || !tk.expected_call_at;
  $('#leave').textContent = remote ? t('leave_by', { time: hhmm(tk.expected_call_at) }) : '';
  $('#lapse').hidden = !(remote && tk.lapse_at);
  $('#lapse').textContent = remote && tk.lapse_at ? t('lapse_note', { time: hhmm(tk.lapse_at) }) : '';
  // Public frames carry no code: keep the one the holder's view gave.
  if (tk.arrival_code) arrivalCode = tk.arrival_code;
  $('#arrive').hidden = !(remote && arrivalCode);
  $('#arrival-code').textContent = arrivalCode || '';
  $('#ahead').textContent = waiting ? t('people_n', { n: tk.ahead }) : '–';
  $('#wait').textContent = waiting ? bi(tk.estimated_wait_text) : '–';
  $('#issued').textContent = hhmm(tk.issued_at);
  document.title = `${tk.number} · ${t('tstate_' + tk.state)}`;
  // Finished and not yet rated: the holder may rate it here (once; the
  // pad at the counter and this page share the one rating).
  $('#rate').hidden = !(key && tk.state === 'done' && tk.rating == null);
  // Suspended: what to bring back and until when (the holder's view only).
  const sus = tk.state === 'suspended' ? tk.suspension : null;
  $('#suspension').hidden = !sus;
  $('#missing').replaceChildren(...(sus ? sus.missing.map((m) => el('li', {}, m)) : []));
  $('#return-by').textContent = sus ? t('return_by', { date: sus.return_by }) : '';
  const s = services && services.services.find((s) => s.code === tk.service);
  $('#materials').replaceChildren(...(s ? s.materials.map((m) => el('li', {}, bi(m))) : []));
}

async function load() {
  try {
    const res = await api(key ? `/tickets/${id}?k=${encodeURIComponent(key)}` : `/tickets/${id}`);
    const before = ticket && ticket.state;
    ticket = res.ticket;
    $('#error').hidden = true;
    render();
    if (before && before !== 'called' && ticket.state === 'called' && navigator.vibrate) navigator.vibrate([300, 150, 300]);
  } catch (e) {
    $('#error').hidden = false;
    $('#error').textContent = e.status === 404 ? t('err_no_ticket') : t('err_generic', { message: e.message });
  }
}

function soon() {
  clearTimeout(refetch);
  refetch = setTimeout(load, 800 + Math.random() * 1200);
}

async function init() {
  // Without the key, the form would only be refused: say where it is.
  $('#notify-form').hidden = !key;
  $('#notify-nokey').hidden = !!key;
  setLang(params.get('lang') || localStorage.getItem('qcall.lang') || (navigator.language.startsWith('zh') ? 'zh' : 'en'), false);
  langButton($('#lang-toggle'));
  translate(document);
  onLang(render);
  services = await api('/services').catch(() => null);
  if (services) $('#hall-name').textContent = bi(services.hall);
  onLang(() => services && ($('#hall-name').textContent = bi(services.hall)));
  await load();
  const stream = new Stream('/ws/display', {
    onState: (state) => showConnection($('#conn'), state),
    onFrame: (f) => {
      if (f.type === 'snapshot') {
        soon();
      } else if (f.ticket && f.ticket.id === id) {
        const before = ticket && ticket.state;
        // Public frames carry no rating or suspension: keep what the
        // holder's view said, and ask again when it is newly suspended.
        const was = ticket && ticket.state;
        ticket = { ...f.ticket, rating: f.ticket.rating ?? (ticket && ticket.rating), suspension: f.ticket.suspension ?? (ticket && ticket.suspension) };
        if (key && ticket.state === 'suspended' && was !== 'suspended') soon();
        render();
        if (before !== 'called' && ticket.state === 'called' && navigator.vibrate) navigator.vibrate([300, 150, 300]);
      } else if (f.type === 'queue_changed' && ticket && (ticket.state === 'waiting' || ticket.state === 'remote') && f.services.some((s) => s.service === ticket.service)) {
        soon();
      }
    },
  });
  window.qcall = { stream };
}

init();

// Rate the finished service from the phone (好差评), with the ticket's key:
// the level, the indicators, a reason for a 差评. Reached from the slip's
// QR code, or from a text message's link (`&via=sms`): the channel.
const channel = params.get('via') === 'sms' ? 'sms' : 'qr';
ratingForm($('#rate'), async (body, score) => {
  const done = $('#rate-done');
  try {
    const res = await api(`/tickets/${id}/rating`, { method: 'POST', body: { ...body, ticket_key: key, channel } });
    ticket = res.ticket;
    render();
    done.textContent = score <= 2 ? t('rate_sorry') : t('rate_thanks');
    done.hidden = false;
  } catch (err) {
    if (err.code === 'already_rated') {
      $('#rate').hidden = true;
      done.textContent = err.message;
      done.hidden = false;
      return;
    }
    throw err;
  }
}).catch(() => {
  // Without the rules the form cannot ask; the rest of the page works.
});

// Opened from the link a supervisor sent once the 差评 was put right.
fixRate(id, key);

// Leave a phone number: the hall texts when the ticket is near, called,
// needs more documents, or its certificate is ready.
$('#notify-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const res = await api(`/tickets/${id}/notify`, { method: 'POST', body: { phone: $('#phone').value.trim(), ticket_key: key } });
    $('#notify-form').hidden = true;
    $('#notify-done').hidden = false;
    $('#notify-done').textContent = t('notify_done', { phone: res.phone });
  } catch (err) {
    $('#notify-done').hidden = false;
    $('#notify-done').textContent = err.message;
  }
});
