// /counter's case number (办件编号) card: the clerk types the case number
// of the ticket at the counter, or of the one just finished or set aside,
// and the server answers which visit of the case this is ("this case's
// 2nd visit"), counted over every day's tickets sharing the number
// (POST /api/v1/tickets/{id}/case). Kept apart from counter.js, which only
// tells this card which ticket is at the counter.

import { $, api, onLang, t } from './common.js';

let token = null;
let ticket = null; // {id, number}: at the counter, or finished last here
let answer = null; // the server's last answer, redrawn on a language change

function ordinal(n) {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th');
  return `${n}${s}`;
}

function drawAnswer() {
  const out = $('#case-result');
  if (!answer) {
    out.textContent = '';
    return;
  }
  out.textContent = answer.error
    ? answer.error
    : t('case_visit', { n: answer.visit, nth: ordinal(answer.visit), case_no: answer.case_no });
  out.dataset.visit = answer.error ? '' : String(answer.visit);
}

/** Called once signed in, with the counter's token. */
export function caseCardInit(secret) {
  token = secret;
  $('#case-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!ticket) return;
    const case_no = $('#case-no').value.trim();
    try {
      answer = await api(`/tickets/${ticket.id}/case`, { method: 'POST', body: { case_no }, token });
    } catch (err) {
      answer = { error: err.message };
    }
    drawAnswer();
  });
  onLang(drawAnswer);
}

/** The counter's current ticket (or none): a new one clears the card; none
 *  keeps the one just finished, so its number can still be typed. */
export function caseCardShow(current) {
  if (current && (!ticket || current.id !== ticket.id)) {
    ticket = { id: current.id, number: current.number };
    answer = null;
    $('#case-no').value = current.case_no || '';
    drawAnswer();
  } else if (current && current.case_no && !$('#case-no').value) {
    // The number arrived after the ticket (with the command's result).
    $('#case-no').value = current.case_no;
  }
  $('#case-card').hidden = !ticket;
  if (ticket) $('#case-ticket').textContent = t('case_ticket', { number: ticket.number });
}
