// A job's live progress over the server-sent events of GET /v1/jobs/{id}/events (the session cookie goes with them).
import { h, bytes, state, time } from './ui.js';
import { get, del, can } from './api.js';

const FINAL = ['succeeded', 'failed', 'cancelled', 'interrupted'];
export const isFinal = s => FINAL.includes(s);

/** A card for job `job` that follows it until it ends; `onDone(snapshot)` runs once at the end. */
export function jobCard(job, onDone) {
  const bar = h('progress', { max: 1, value: 0, testid: 'job-progress' });
  const status = h('span', state(job.state));
  const figures = h('span.muted');
  const lastLine = h('div.muted', { testid: 'job-line' });
  const error = h('div.error', { testid: 'job-error' });
  const cancel = h('button', { type: 'button', disabled: !can('operator'), onclick: () => del(`/v1/jobs/${encodeURIComponent(job.id)}`) }, 'Cancel');
  const card = h('div.card.job', { testid: 'job', 'data-job': job.id },
    h('div', h('b', job.kind), ' ', h('span.mono', job.id), ' — ', job.description),
    h('div.actions', status, figures, cancel), bar, lastLine, error);
  let done = false;
  const show = s => {
    status.replaceChildren(state(s.state));
    card.dataset.state = s.state;
    if (s.bytesTotal > 0) { bar.max = s.bytesTotal; bar.value = s.bytesDone; } else if (isFinal(s.state)) { bar.max = 1; bar.value = 1; }
    const rate = s.bytesPerSecond ? `, ${bytes(s.bytesPerSecond)}/s` : '';
    const eta = s.etaSeconds ? `, ${Math.round(s.etaSeconds)} s left` : '';
    figures.textContent = s.bytesTotal > 0 ? `${bytes(s.bytesDone)} of ${bytes(s.bytesTotal)}${rate}${eta}` : '';
    const log = s.log || [];
    if (log.length) lastLine.textContent = `${time(log[log.length - 1].time)} ${log[log.length - 1].message}`;
    if (s.errorMessage) error.textContent = `${s.errorMessage} (${s.errorCode})`;
    if (isFinal(s.state) && !done) {
      done = true;
      card.classList.add(`final-${s.state}`);
      cancel.remove();
      if (onDone) onDone(s);
    }
  };
  show(job);
  if (!isFinal(job.state)) {
    const es = new EventSource(`/v1/jobs/${encodeURIComponent(job.id)}/events`);
    es.addEventListener('job', ev => { const s = JSON.parse(ev.data); show(s); if (isFinal(s.state)) es.close(); });
    // The stream ends after the final state; a broken stream falls back to one read of the job.
    es.onerror = async () => { es.close(); if (!done) { try { show(await get(`/v1/jobs/${encodeURIComponent(job.id)}`)); } catch { /* shown at the next refresh */ } } };
  }
  return card;
}

/** The place on every page where started jobs show: newest on top. */
export function jobTray() {
  let tray = document.getElementById('job-tray');
  if (!tray) tray = h('div', { id: 'job-tray', testid: 'job-tray' });
  return tray;
}

export function showJob(job, onDone) {
  const tray = document.getElementById('job-tray');
  const card = jobCard(job, onDone);
  if (tray) tray.prepend(card);
  return card;
}
