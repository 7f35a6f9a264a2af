// The phone page's "rate the fix" card (/t/{id}?k=KEY&fix=1): the link a
// supervisor sends the applicant once their 差评 is put right. One tap
// rates the fix (POST /api/v1/tickets/{id}/fix-rating with the ticket's
// key); the server takes it once, and only once the fix is recorded.

import { $, api, params, t } from './common.js';

/** Shows the card when the page was opened from a fix's link. */
export function fixRate(id, key) {
  if (params.get('fix') !== '1' || !key) return;
  const card = $('#fix-rate');
  const done = $('#fix-rate-done');
  card.hidden = false;
  for (const b of card.querySelectorAll('.rate-btn')) {
    b.addEventListener('click', async () => {
      try {
        await api(`/tickets/${id}/fix-rating`, { method: 'POST', body: { score: Number(b.dataset.score), ticket_key: key } });
        card.hidden = true;
        done.textContent = t('rate_thanks');
      } catch (err) {
        done.textContent = err.message;
      }
      done.hidden = false;
    });
  }
}
