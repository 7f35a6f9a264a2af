// /t/{id}: the applicant's phone, opened from the ticket's QR code. Shows
// the number, its state, people ahead and the estimated wait, and "go to
// counter 3 now" the moment it is called: live over /ws/display, no app.
// Waiting counts are re-read (debounced) only when its own queue moves.

import { $, api, bi, counterName, el, hhmm, langButton, onLang, params, setLang, showConnection, Stream, t, translate } from './common.js';

const id = Number(location.pathname.split('/').pop());
// The ticket's key, from the QR code's link (`?k=...`): only its holder has
// it. Reading the ticket works without; leaving a phone number does not.
const key = params.get('k') || '';
let ticket = null;
let services = null;
let refetch = null;

function render() {
  if (!ticket) return;
  const tk = ticket;
  $('#service').textContent = bi(tk.service_name);
  $('#number').textContent = tk.number;
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
  const waiting = tk.state === 'waiting';
  $('#facts').hidden = !waiting && tk.state !== 'called';
  $('#ahead').textContent = waiting ? t('people_n', { n: tk.ahead }) : '–';
  $('#wait').textContent = waiting ? bi(tk.estimated_wait_text) : '–';
  $('#issued').textContent = hhmm(tk.issued_at);
  document.title = `${tk.number} · ${t('tstate_' + tk.state)}`;
  // Finished and not yet rated: the holder may rate it here (once; the
  // pad at the counter and this page share the one rating).
  $('#rate').hidden = !(key && tk.state === 'done' && tk.rating == null);
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
        // Public frames carry no rating: keep what the holder's view said.
        ticket = { ...f.ticket, rating: f.ticket.rating ?? (ticket && ticket.rating) };
        render();
        if (before !== 'called' && ticket.state === 'called' && navigator.vibrate) navigator.vibrate([300, 150, 300]);
      } else if (f.type === 'queue_changed' && ticket && ticket.state === 'waiting' && f.services.some((s) => s.service === ticket.service)) {
        soon();
      }
    },
  });
  window.qcall = { stream };
}

init();

// Rate the finished service from the phone (好差评), with the ticket's key.
for (const b of document.querySelectorAll('#rate .rate-btn')) {
  b.addEventListener('click', async () => {
    const score = Number(b.dataset.score);
    const done = $('#rate-done');
    try {
      const res = await api(`/tickets/${id}/rating`, {
        method: 'POST',
        body: { score, comment: $('#rate-comment').value.trim() || undefined, ticket_key: key },
      });
      ticket = res.ticket;
      render();
      done.textContent = score <= 2 ? t('rate_sorry') : t('rate_thanks');
    } catch (err) {
      done.textContent = err.message;
      if (err.code === 'already_rated') $('#rate').hidden = true;
    }
    done.hidden = false;
  });
}

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
