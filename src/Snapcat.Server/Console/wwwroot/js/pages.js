// The console's pages. Each takes its root element and the route's remaining parts, and renders from the REST API.
import { get, post, put, patch, del, can, qs, ApiError } from './api.js';
import { h, table, kvTable, bytes, time, state, roleButton, toast, explain, confirmDialog, field } from './ui.js';
import { jobCard, jobTray, showJob } from './jobs.js';

const enc = encodeURIComponent;
const link = (href, text, testid) => h('a', { href, testid }, text);
const backupLink = id => link(`#/backup/${id}`, `#${id}`, 'backup-link');

/** Starts a job through `start` after confirmation and shows its live progress; `after` runs when it ends. */
async function act(title, body, okLabel, start, after) {
  const values = await confirmDialog(title, body, okLabel);
  if (values === null) return;
  try {
    const job = await start(values);
    if (job && job.id && job.state) showJob(job, s => { toast(`${job.kind} ${s.state}${s.errorMessage ? ': ' + s.errorMessage : ''}`, s.state !== 'succeeded'); if (after) after(s); });
    else { toast(`${title}: done`); if (after) after(job); }
  } catch (e) { toast(explain(e), true); }
}

// ---------- Dashboard ----------
async function dashboard(root) {
  const s = await get('/v1/status');
  root.append(h('h1', 'Dashboard'), jobTray());
  const defs = s.definitions.map(d => h('tr', { 'data-definition': d.name },
    h('td', link(`#/definitions/${enc(d.name)}`, d.name)), h('td', d.kind), h('td', `${d.host}:${d.mountPoint}`),
    h('td', d.enabled ? (d.schedule || 'by hand') : h('span.muted', 'disabled')), h('td', time(d.nextRun)),
    h('td', d.lastResult ? [state(d.lastResult.state), ' ', time(d.lastResult.finished)] : h('span.muted', 'never ran')),
    h('td', d.running ? state('running') : ''),
    h('td', roleButton('Run now', 'operator', () => runDefinition(d.name, () => dashboardRefresh(root)), 'run-' + d.name))));
  root.append(h('h2', 'Definitions'), table(['name', 'kind', 'host:mount point', 'schedule', 'next run', 'last result', '', ''], defs, 'definitions'));
  root.append(h('h2', 'Running jobs'));
  const running = h('div', { testid: 'running' });
  if (!s.running.length) running.append(h('p.muted', 'no job is running'));
  for (const j of s.running) running.append(jobCard({ ...j, id: j.jobId, log: [] }));
  root.append(running);
  root.append(h('h2', `Failures since ${time(s.since)}`), table(['job', 'kind', 'definition', 'state', 'finished', 'error'],
    [...s.failures.map(f => h('tr', h('td.mono', f.jobId), h('td', f.kind), h('td', f.definition || ''), h('td', state(f.state)), h('td', time(f.finished)),
      h('td', f.errorMessage ? `${f.errorMessage} (${f.errorCode})` : ''))),
    ...s.missed.map(m => h('tr', h('td', '–'), h('td', 'schedule'), h('td', m.definition), h('td', state('failed')), h('td', time(m.time)), h('td', `missed: ${m.detail}`)))], 'failures'));
  root.append(h('h2', 'Arrays'), h('div.cards', s.arrays.map(a => h('div.card', { testid: 'array-card' }, h('h3', a.deviceId),
    a.reachable ? [h('div', `${a.volumes} volumes, ${a.snapshots} snapshots`), h('div', `provisioned ${bytes(a.provisionedBytes)}, allocated ${bytes(a.allocatedBytes)}`),
      h('div', `free on its data file system: ${bytes(a.freeBytes)}`),
      a.freeBytes != null ? h('progress', { max: a.allocatedBytes + a.freeBytes, value: a.allocatedBytes, title: 'allocated of allocated + free' }) : '']
      : h('div.error', `unreachable: ${a.error}`)))));
  root.append(h('h2', 'Tape library'), s.tape ? h('div.card', { testid: 'tape-card' }, h('h3', s.tape.libraryId),
    h('div', `${s.tape.cartridges} cartridges: ${s.tape.empty} empty, ${s.tape.appendable} appendable, ${s.tape.closed} closed, ${s.tape.damaged} damaged`),
    h('div', `${s.tape.backups} backups; free ${bytes(s.tape.freeBytes)} of ${bytes(s.tape.capacityBytes)}`)) : h('p.muted', 'no tape library configured'));
}

function dashboardRefresh(root) { if (root.dataset.page === 'dashboard' && document.body.contains(root)) { const tray = document.getElementById('job-tray'); root.replaceChildren(); dashboard(root).then(() => { const t = document.getElementById('job-tray'); if (tray && t && tray !== t) t.replaceWith(tray); }); } }

function runDefinition(name, after) {
  return act(`Run ${name} now?`, `The definition's backup runs now as a job (hooks included).`, 'Run',
    () => post(`/v1/definitions/${enc(name)}/runs`), after);
}

// ---------- Catalog ----------
const KINDS = ['', 'mirror', 'snapshot', 'copy', 'tape'];

async function catalog(root) {
  root.append(h('h1', 'Catalog'), jobTray());
  const f = h('form.grid', { testid: 'search-form' },
    field('Host', h('input', { name: 'host', testid: 'q-host' })), field('Mount point', h('input', { name: 'mountPoint', testid: 'q-mount' })),
    field('Label', h('input', { name: 'label', testid: 'q-label' })),
    field('Kind', h('select', { name: 'kind', testid: 'q-kind' }, KINDS.map(k => h('option', { value: k }, k || 'any')))),
    field('Device', h('input', { name: 'deviceId', testid: 'q-device' })),
    field('From (UTC)', h('input', { name: 'from', type: 'datetime-local', testid: 'q-from' })),
    field('To (UTC)', h('input', { name: 'to', type: 'datetime-local', testid: 'q-to' })),
    field('Rows a page', h('select', { name: 'limit' }, [25, 50, 100, 200].map(n => h('option', { value: n, selected: n === 50 }, n)))),
    h('button.primary', { type: 'submit', testid: 'search' }, 'Search'));
  const results = h('div', { testid: 'results' });
  root.append(f, results);
  const cursors = [];
  const load = async after => {
    const v = Object.fromEntries(new FormData(f));
    for (const k of ['from', 'to']) if (v[k]) v[k] = `${v[k]}Z`;
    try {
      const page = await get(`/v1/backups/search${qs({ ...v, after })}`);
      const rows = page.items.map(b => h('tr', { 'data-backup': b.id }, h('td', backupLink(b.id)), h('td', time(b.timestamp)), h('td', b.host), h('td', b.mountPoint),
        h('td', b.label), h('td', b.kind), h('td', b.deviceId), h('td', b.mediaId), h('td', b.definition || ''), h('td', b.protected ? 'protected' : '')));
      const pager = h('div.pager', h('button', { type: 'button', disabled: !cursors.length, onclick: () => { cursors.pop(); load(cursors[cursors.length - 1]); } }, 'Previous'),
        h('span.muted', `page ${cursors.length + 1} · ${page.items.length} rows · ${page.catalogRows} backups in the catalog`),
        h('button', { type: 'button', testid: 'next-page', disabled: !page.next, onclick: () => { cursors.push(page.next); load(page.next); } }, 'Next'));
      results.replaceChildren(table(['ID', 'time', 'host', 'mount point', 'label', 'kind', 'device', 'medium', 'definition', ''], rows, 'backups'), pager);
    } catch (e) { results.replaceChildren(h('p.error', { testid: 'search-error' }, explain(e))); }
  };
  f.addEventListener('submit', ev => { ev.preventDefault(); cursors.length = 0; load(); });
  await load();
  root.append(h('h2', 'Catalog maintenance'), h('div.actions',
    roleButton('Rebuild from arrays and tapes…', 'admin', () => act('Rebuild the catalog?', 'Reads every array\'s volume information (and the tape library) and merges what it finds into the catalog. The report shows what was added.', 'Rebuild',
      () => post('/v1/catalog/rebuilds', {}), s => showRebuild(root, s)), 'rebuild'),
    roleButton('Prune preview (all definitions)', 'operator', () => prunePreview(root, null), 'prune-preview')));
}

function showRebuild(root, s) {
  const r = s.result || {};
  const arrays = (r.arrays || []).map(a => h('tr', h('td', a.deviceId), h('td.num', a.volumes), h('td', (a.added || []).join(', ')), h('td', (a.unchanged || []).join(', ')),
    h('td', (a.updated || []).join(', ')), h('td', (a.invalid || []).map(i => `${i.volume}: ${i.reason}`).join('; ')), h('td', (a.orphans || []).join(', ')), h('td.error', a.error || '')));
  root.append(h('div.card', { testid: 'rebuild-report' }, h('h3', `Rebuild report (${s.state})`),
    table(['array', 'volumes', 'added', 'unchanged', 'updated', 'invalid', 'orphans', 'error'], arrays),
    r.tapes ? h('pre', JSON.stringify(r.tapes, null, 1)) : ''));
}

async function prunePreview(root, definition) {
  try {
    const plan = await post('/v1/prune', { definition, dryRun: true });
    const card = h('div.card', { testid: 'prune-plan' }, h('h3', 'Prune preview (dry run: nothing is deleted)'));
    for (const d of plan.definitions) {
      card.append(h('h3', `${d.definition} — ${d.retention || 'no retention'}${d.skipped ? ` (skipped: ${d.skipped})` : ''}`),
        table(['backup', 'time', 'where', 'action', 'why'], d.backups.map(b => h('tr', h('td', backupLink(b.id)), h('td', time(b.timestamp)), h('td', `${b.deviceId} ${b.mediaId}`),
          h('td', b.action), h('td', b.reason || '')))));
    }
    if (!plan.definitions.length) card.append(h('p.muted', 'no definition has retention rules'));
    root.append(card);
  } catch (e) { toast(explain(e), true); }
}

// ---------- One backup ----------
async function backup(root, [id]) {
  const p = await get(`/v1/backups/${enc(id)}/provenance`);
  const b = p.backup;
  root.append(h('h1', { testid: 'backup-title' }, `Backup #${b.id}: ${b.host}:${b.mountPoint} “${b.label}”`), jobTray());
  const i = p.info;
  root.append(h('h2', 'Volume information (decoded)'), i ? kvTable([
    ['format version', i.formatVersion], ['label', i.label], ['host', i.host], ['mount point', i.mountPoint], ['time stamp', time(i.timestamp)], ['kind', i.kind],
    ['source', `${i.sourceDeviceId} volume ${i.sourceVolume}`], ['backup ID', i.backupId], ['origin', i.origin], ['definition', i.definition || '–'], ['catalog number', i.catalogNumber],
  ], 'info-', 'volume-info') : h('p.error', `the record does not decode: ${p.infoError}`));
  root.append(h('h2', 'Where it is'), kvTable([
    ['device', b.deviceId], ['medium', b.mediaId], ['kind', b.kind], ['origin', b.origin], ['recorded', time(b.recorded)], ['definition', b.definition || '–'],
    ['protected', b.protected ? `yes${b.protectedUntil ? ' until ' + time(b.protectedUntil) : ''}` : 'no'],
  ]));
  root.append(h('h2', 'Content digest'), h('p', { testid: 'digest' }, b.digest ? h('code', b.digest) : h('span.muted', 'no digest recorded')));
  root.append(h('h2', 'Verify history'), await verifyHistory(b.id));
  root.append(h('h2', 'Provenance'), provenance(p));
  root.append(h('h2', 'Actions'), backupActions(root, b, p));
}

async function verifyHistory(id) {
  try {
    const runs = await get(`/v1/backups/${id}/verifications`);
    return table(['started', 'finished', 'outcome', 'root', 'expected', 'bytes', 'job', 'error'], runs.map(v => h('tr', h('td', time(v.started)), h('td', time(v.finished)),
      h('td', v.outcome), h('td.mono', v.root || ''), h('td.mono', v.expectedRoot || ''), h('td.num', bytes(v.bytes)), h('td.mono', v.jobId || ''), h('td.error', v.error || ''))), 'verify-history');
  } catch (e) {
    // 404: no verify run of this backup; 405: this server has no verify history route yet.
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return h('p.muted', { testid: 'verify-history' }, 'no verify history');
    // Until the route exists, the method-not-allowed answer carries no role, so a weaker token than admin sees 403 here.
    return h('p.muted', { testid: 'verify-history' }, `no verify history (${explain(e)})`);
  }
}

function provenance(p) {
  const b = p.backup; const i = p.info;
  const step = (title, ...lines) => h('div.step', { testid: 'prov-step' }, h('b', title), ...lines.map(l => h('div', l)));
  const arrow = () => h('span.arrow', '→');
  const related = p.related;
  const onTape = r => r.kind === 'tape' || (p.tapeLibraryId && r.deviceId === p.tapeLibraryId);
  const made = related.filter(r => !onTape(r) && r.origin !== 'copy' && r.kind !== 'copy');
  const copies = related.filter(r => !onTape(r) && (r.origin === 'copy' || r.kind === 'copy'));
  const tapes = related.filter(onTape);
  const row = (r, what) => step(what, h('span', backupLink(r.id), ` ${r.deviceId} ${onTape(r) ? 'cartridge/file ' : 'volume '}${r.mediaId}`), r.id === b.id ? h('i', 'this backup') : '');
  const group = (items, what) => h('div.group', items.length ? items.map(r => row(r, what(r))) : [step(what(null), h('span.muted', 'none'))]);
  return h('div.chain', { testid: 'provenance' },
    step('host : mount point', `${b.host}:${b.mountPoint}`),
    arrow(), step('primary volume', i ? `${i.sourceDeviceId} volume ${i.sourceVolume}` : (p.primaryDeviceId || '?'), p.copyTo.length ? `copy destinations: ${p.copyTo.join(', ')}` : ''),
    arrow(), group(made, r => (r ? r.kind : 'mirror or snapshot')),
    arrow(), group(copies, () => 'copy on an array'),
    arrow(), group(tapes, () => 'tape'));
}

function backupActions(root, b) {
  const reload = () => { if (location.hash.startsWith(`#/backup/${b.id}`)) { root.replaceChildren(); backup(root, [String(b.id)]); } };
  const onTape = b.kind === 'tape';
  const input = (name, attrs) => h('input', { name, ...attrs });
  return h('div.actions', { testid: 'backup-actions' },
    roleButton('Restore volume…', 'operator', () => act(`Restore backup #${b.id} onto a volume?`, [
      h('p', onTape ? 'A tape backup is written into the volume you name.' : `Without a target the backup goes back onto its primary (${b.host}:${b.mountPoint}), overwriting what is there.`),
      field('to device (optional)', input('deviceId', { testid: 'restore-device' })), field('to volume (optional)', input('volume', { type: 'number', min: 1, testid: 'restore-volume' })),
      h('label', input('force', { type: 'checkbox', testid: 'restore-force' }), ' force (overwrite a volume in use or holding a backup)')], 'Restore',
    v => post(`/v1/backups/${b.id}/restores`, { force: v.force, deviceId: v.deviceId || null, volume: v.volume ? Number(v.volume) : null })), 'restore-volume'),
    roleButton('Restore files…', 'operator', () => act(`Restore files from backup #${b.id}`, [
      h('p', 'Paths (or globs) relative to the backed-up file system\'s root, one a line. The agent attaches the backup and copies them.'),
      h('p.muted', 'There is no file browser yet: the agent has no route that lists a backup\'s directory; type the paths.'),
      field('paths', h('textarea', { name: 'files', rows: 4, cols: 50, testid: 'restore-files', required: true })),
      field(`destination directory (default: ${b.mountPoint})`, input('destination', { testid: 'restore-destination' }))], 'Restore files',
    v => post(`/v1/backups/${b.id}/restores`, { files: v.files.split('\n').map(x => x.trim()).filter(Boolean), destination: v.destination || null })), 'restore-files'),
    roleButton('Copy…', 'operator', () => act(`Copy backup #${b.id}`, [h('p', 'To a volume of the same array, or to port and LUN of another array (FIG. 19).'),
      field('volume (same array)', input('volume', { type: 'number', min: 1 })), field('or array', input('deviceId')), field('port', input('port')), field('LUN', input('lun', { type: 'number', min: 0 }))], 'Copy',
    v => post(`/v1/backups/${b.id}/copies`, { volume: v.volume ? Number(v.volume) : null, deviceId: v.deviceId || null, port: v.port || null, lun: v.lun ? Number(v.lun) : null }), reload), 'copy'),
    roleButton('Copy to tape', 'operator', () => act(`Copy backup #${b.id} to tape?`, 'The tape copy carries the volume information; the disk backup stays.', 'Copy to tape',
      () => post(`/v1/backups/${b.id}/tape-copies`, { move: false }), reload), 'copy-to-tape'),
    roleButton('Move to tape', 'operator', () => act(`Move backup #${b.id} to tape?`, 'Copies to tape, verifies the copy, then deletes the disk backup.', 'Move',
      () => post(`/v1/backups/${b.id}/tape-copies`, { move: true }), reload), 'move-to-tape'),
    roleButton('Verify', 'operator', () => act(`Verify backup #${b.id}?`, 'Reads the backup back and checks it.', 'Verify',
      () => post(`/v1/backups/${b.id}/verifications`), reload), 'verify'),
    b.protected
      ? roleButton('Unprotect', 'operator', () => act(`Unprotect backup #${b.id}?`, 'Prune and delete may then remove it.', 'Unprotect', () => del(`/v1/backups/${b.id}/protection`), reload), 'unprotect')
      : roleButton('Protect…', 'operator', () => act(`Protect backup #${b.id}?`, [h('p', 'No prune and no delete removes a protected backup.'),
        field('until (UTC, empty: until unprotected)', input('until', { type: 'datetime-local' }))], 'Protect', v => post(`/v1/backups/${b.id}/protection`, { until: v.until ? `${v.until}Z` : null }), reload), 'protect'),
    roleButton('Delete…', 'admin', () => act(`Delete backup #${b.id}?`, [h('p', `The backup volume ${b.deviceId} ${b.mediaId} is deleted on its ${onTape ? 'library' : 'array'}, then its catalog row. This cannot be undone.`)], 'Delete',
      () => del(`/v1/backups/${b.id}`), () => { location.hash = '#/catalog'; }), 'delete', 'danger'),
    b.definition ? roleButton('Prune preview', 'operator', () => prunePreview(root, b.definition), 'prune-preview') : '');
}

// ---------- Definitions ----------
async function definitions(root, [name]) {
  const [defs, hosts, status] = await Promise.all([get('/v1/definitions'), get('/v1/console/hosts'), get('/v1/status')]);
  root.append(h('h1', 'Backup definitions'), jobTray());
  const last = Object.fromEntries(status.definitions.map(d => [d.name, d.lastResult]));
  const reload = () => { root.replaceChildren(); definitions(root, []); };
  root.append(table(['name', 'kind', 'host:mount point', 'destination', 'label', 'hooks', 'schedule', 'next run', 'last result', 'retention', ''], defs.map(d => h('tr', { 'data-definition': d.name },
    h('td', d.name), h('td', d.kind), h('td', `${d.host}:${d.mountPoint}`), h('td', `${d.deviceId}${d.destinationVolume ? ' volume ' + d.destinationVolume : ''}`), h('td', d.label),
    h('td', [d.preHook, d.postHook].filter(Boolean).join(' / ')), h('td', d.schedule ? `${d.schedule} (${d.timeZone})` : 'by hand'),
    h('td', d.enabled === false ? 'disabled' : time(d.nextRun)), h('td', last[d.name] ? state(last[d.name].state) : ''),
    h('td', retentionText(d)),
    h('td', h('div.actions',
      roleButton('Run', 'operator', () => runDefinition(d.name), 'run-' + d.name),
      roleButton('Edit', 'admin', () => { location.hash = `#/definitions/${enc(d.name)}`; }, 'edit-' + d.name),
      roleButton(d.enabled === false ? 'Enable' : 'Disable', 'operator', () => act(`${d.enabled === false ? 'Enable' : 'Disable'} ${d.name}?`, 'The scheduler fires only enabled definitions.', 'Yes',
        () => patch(`/v1/definitions/${enc(d.name)}`, { enabled: d.enabled === false }), reload)),
      roleButton('Prune preview', 'operator', () => prunePreview(root, d.name)),
      roleButton('Delete', 'admin', () => act(`Delete definition ${d.name}?`, 'Its backups stay in the catalog.', 'Delete', () => del(`/v1/definitions/${enc(d.name)}`), reload), null, 'danger'))))), 'definition-list'));
  const editing = name ? defs.find(d => d.name === name) : null;
  root.append(h('h2', editing ? `Edit ${editing.name}` : 'New definition'), definitionForm(editing, hosts, status, reload));
}

const retentionText = d => {
  const r = d.retention || {};
  const parts = Object.entries(r).filter(([, v]) => v != null).map(([k, v]) => `${k.replace('keep', 'keep-').toLowerCase()} ${v}`);
  return parts.length ? parts.join(', ') : (d.keepGenerations ? `keep ${d.keepGenerations}` : '');
};

function definitionForm(d, hosts, status, reload) {
  const v = d || { kind: 'mirror', timeZone: 'UTC', missedRuns: 'skip' };
  const sel = (name, options, value, attrs) => h('select', { name, testid: 'def-' + name, ...attrs }, options.map(o => h('option', { value: o, selected: o === (value ?? '') }, o === '' ? '–' : o)));
  const hostSel = sel('host', ['', ...hosts.map(x => x.host)], v.host, { disabled: !!d });
  const mountSel = h('select', { name: 'mountPoint', testid: 'def-mountPoint', disabled: !!d });
  const kindSel = sel('kind', ['mirror', 'snapshot', 'tape'], v.kind, { disabled: !!d });
  const deviceSel = h('select', { name: 'deviceId', testid: 'def-deviceId', disabled: !!d });
  const volumeSel = h('select', { name: 'destinationVolume', testid: 'def-destinationVolume' });
  const preSel = h('select', { name: 'preHook', testid: 'def-preHook' }); const postSel = h('select', { name: 'postHook', testid: 'def-postHook' });
  const cron = h('input', { name: 'schedule', value: v.schedule || '', placeholder: 'e.g. 0 2 * * *', testid: 'def-schedule' });
  const zone = h('input', { name: 'timeZone', value: v.timeZone || 'UTC', testid: 'def-timeZone' });
  const cronOut = h('div', { testid: 'cron-check' });
  const fill = (s, options, value) => s.replaceChildren(...options.map(o => h('option', { value: o, selected: String(o) === String(value ?? '') }, o === '' ? '–' : String(o))));
  const refresh = () => {
    const host = hosts.find(x => x.host === hostSel.value);
    const mounts = host ? host.mountPoints : [];
    if (!mountSel.options.length || !mounts.some(m => m.mountPoint === mountSel.value)) fill(mountSel, mounts.map(m => m.mountPoint), v.mountPoint);
    const mount = mounts.find(m => m.mountPoint === mountSel.value);
    const devices = kindSel.value === 'tape' ? (status.tape ? [status.tape.libraryId] : []) : status.arrays.map(a => a.deviceId);
    fill(deviceSel, devices, v.deviceId || (mount && mount.deviceId));
    // FIG. 8: a mirror's destination comes from the mount point's copy destination list.
    fill(volumeSel, kindSel.value === 'mirror' ? (mount ? mount.copyTo : []) : [''], v.destinationVolume);
    volumeSel.disabled = kindSel.value !== 'mirror';
    const hooks = ['', ...(host ? host.hooks : [])];
    fill(preSel, hooks, v.preHook); fill(postSel, hooks, v.postHook);
    hint.textContent = host && !host.reachable ? `agent ${host.host} unreachable: ${host.error}` : (mount && mount.error ? mount.error : '');
  };
  const hint = h('div.muted', { testid: 'def-hint' });
  let timer = 0;
  const checkCron = async () => {
    if (!cron.value.trim()) { cronOut.replaceChildren(h('span.muted', 'no schedule: runs by hand only')); return; }
    try {
      const c = await get(`/v1/cron/next${qs({ expression: cron.value, timeZone: zone.value })}`);
      cronOut.replaceChildren(h('div.ok', `valid; next runs (${c.timeZone}):`), h('ul', { testid: 'cron-next' }, c.next.map(t => h('li', time(t)))),
        c.tooFrequent ? h('div.error', `fires every ${c.shortestIntervalSeconds} s at times, more often than the server allows (${c.minimumIntervalSeconds} s)`) : '');
    } catch (e) { cronOut.replaceChildren(h('div.error', { testid: 'cron-error' }, explain(e))); }
  };
  cron.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(checkCron, 300); });
  zone.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(checkCron, 300); });
  for (const s of [hostSel, mountSel, kindSel]) s.addEventListener('change', refresh);
  const r = v.retention || {};
  const num = (name, value) => h('input', { name, type: 'number', min: 0, value: value ?? '', testid: 'def-' + name });
  const form = h('form.grid', { testid: 'definition-form' },
    field('Name', h('input', { name: 'name', value: v.name || '', required: true, disabled: !!d, testid: 'def-name' })),
    field('Host', hostSel), field('Mount point', mountSel), field('Kind', kindSel), field('Device (array or tape library)', deviceSel),
    field('Destination volume (copy destination list)', volumeSel),
    field('Label', h('input', { name: 'label', value: v.label || '', required: true, testid: 'def-label' })),
    field('Preprocess hook (agent\'s hooks)', preSel), field('Postprocess hook', postSel),
    h('label', h('input', { name: 'preOnly', type: 'checkbox', checked: !!v.preOnly }), ' preprocess only'),
    field('Schedule (cron)', cron), field('Time zone', zone),
    field('Missed runs', sel('missedRuns', ['skip', 'run_once'], v.missedRuns)),
    field('keep last', num('keepLast', r.keepLast ?? v.keepGenerations)), field('keep daily', num('keepDaily', r.keepDaily)),
    field('keep weekly', num('keepWeekly', r.keepWeekly)), field('keep monthly', num('keepMonthly', r.keepMonthly)),
    h('div', hint, cronOut),
    h('div.actions', roleButton(d ? 'Save' : 'Create', 'admin', null, 'def-save', 'primary'), d ? h('button', { type: 'button', onclick: () => { location.hash = '#/definitions'; } }, 'New instead') : ''));
  form.querySelector('[data-testid=def-save]').type = 'submit';
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const n = x => (x === '' || x === undefined ? null : Number(x));
    const body = {
      name: d ? d.name : form.elements.namedItem('name').value, host: hostSel.value, mountPoint: mountSel.value, kind: kindSel.value, deviceId: deviceSel.value,
      destinationVolume: kindSel.value === 'mirror' ? n(volumeSel.value) : null, label: form.label.value, preHook: preSel.value || null, postHook: postSel.value || null,
      preOnly: form.preOnly.checked, schedule: cron.value.trim() || null, timeZone: zone.value.trim() || 'UTC', missedRuns: form.missedRuns.value,
      retention: { keepLast: n(form.keepLast.value), keepDaily: n(form.keepDaily.value), keepWeekly: n(form.keepWeekly.value), keepMonthly: n(form.keepMonthly.value) },
    };
    if (Object.values(body.retention).every(x => x === null)) body.retention = null;
    const ok = await confirmDialog(d ? `Save ${d.name}?` : `Create ${body.name}?`, h('pre', JSON.stringify(body, null, 1)), d ? 'Save' : 'Create');
    if (ok === null) return;
    try {
      if (d) await put(`/v1/definitions/${enc(d.name)}`, body); else await post('/v1/definitions', body);
      toast(`${body.name} saved`);
      location.hash = '#/definitions';
      reload();
    } catch (e) { toast(explain(e), true); }
  });
  refresh(); checkCron();
  return form;
}

// ---------- Arrays ----------
async function arrays(root) {
  const [arrs, table4, hosts] = await Promise.all([get('/v1/console/arrays'), get('/v1/backup-volumes'), get('/v1/console/hosts')]);
  root.append(h('h1', 'Arrays, volumes and assignments'));
  for (const a of arrs) {
    root.append(h('h2', a.deviceId));
    if (!a.reachable) { root.append(h('p.error', `unreachable: ${a.error}`)); continue; }
    root.append(h('p.muted', `version ${a.info.version}; data ports ${a.info.dataPorts.map(p => p.address).join(', ')}; free ${bytes(a.info.dataFreeBytes)} of ${bytes(a.info.dataTotalBytes)}`));
    root.append(table(['volume', 'kind', 'size', 'allocated', 'assignments (port/LUN)', 'copy destinations', 'snapshots', 'volume information'], a.volumes.map(v => h('tr', { 'data-volume': v.number },
      h('td.num', v.number), h('td', v.kind === 'snapshot' ? `snapshot of ${v.sourceVolume}` : v.kind), h('td.num', bytes(v.size)), h('td.num', bytes(v.allocatedBytes)),
      h('td', v.assignments.map(x => `${x.port}/${x.lun}${x.readOnly ? ' ro' : ''}`).join(', ')), h('td', v.mirrorDestinations.join(', ')), h('td', v.snapshots.join(', ')),
      h('td', v.info ? `${v.info.kind} “${v.info.label}” of ${v.info.host}:${v.info.mountPoint} at ${time(v.info.timestamp)}` : ''))), 'volumes-' + a.deviceId));
  }
  root.append(h('h2', 'Backup volume table (FIG. 4)'), table(['host', 'mount point', 'array', 'copy-to volumes'], table4.map(v => h('tr', h('td', v.host), h('td', v.mountPoint), h('td', v.deviceId), h('td', v.copyTo.join(', '))))));
  root.append(h('h2', 'Hosts (agents) and their port correspondence'), table(['host', 'mount point', 'port/LUN', 'array volume', 'copy destinations', 'hooks'],
    hosts.flatMap(x => (x.reachable ? x.mountPoints : [null]).map(m => h('tr', h('td', x.host), m ? [h('td', m.mountPoint), h('td', `${m.port}/${m.lun}`), h('td', m.deviceId ? `${m.deviceId} ${m.volume}` : (m.error || '')),
      h('td', m.copyTo.join(', ')), h('td', x.hooks.join(', '))] : h('td.error', { colSpan: 5 }, `unreachable: ${x.error}`))))));
}

// ---------- Tapes ----------
async function tapes(root) {
  root.append(h('h1', 'Tape library'));
  let carts;
  try { carts = await get('/v1/tape/cartridges'); } catch (e) {
    if (e instanceof ApiError && e.status === 400) { root.append(h('p.muted', { testid: 'no-library' }, e.message)); return; }
    throw e;
  }
  const reload = () => { root.replaceChildren(); tapes(root); };
  root.append(table(['cartridge', 'state', 'used', 'free', 'backups', ''], carts.map(c => h('tr', { 'data-volser': c.volumeSerial }, h('td.mono', c.volumeSerial),
    h('td', c.state + (c.error ? `: ${c.error}` : '')), h('td.num', bytes(c.imageBytes)), h('td.num', bytes(c.freeBytes)), h('td.num', c.backups.length),
    h('td', roleButton('Recycle', 'admin', () => act(`Recycle ${c.volumeSerial}?`, 'Labels it again, empty; refused while the catalog lists a backup on it.', 'Recycle',
      () => post(`/v1/tape/cartridges/${enc(c.volumeSerial)}/recycle`), reload), null, 'danger')))), 'cartridges'));
  for (const c of carts.filter(x => x.backups.length)) {
    root.append(h('h2', `On ${c.volumeSerial}`), table(['file', 'host:mount point', 'label', 'kind', 'time', 'spans', 'problem'], c.backups.map(b => h('tr', h('td.mono', b.mediaId),
      h('td', `${b.host || '?'}:${b.mountPoint || '?'}`), h('td', b.label || ''), h('td', b.kind || ''), h('td', time(b.timestamp)), h('td', b.volumes.join(' → ')), h('td.error', b.problem || ''))), 'tape-' + c.volumeSerial));
  }
}

// ---------- Jobs ----------
async function jobs(root) {
  const list = await get('/v1/jobs?limit=50');
  root.append(h('h1', 'Jobs'), h('div', { testid: 'job-list' }, list.map(j => jobCard(j))));
}

export const pages = { dashboard, catalog, backup, definitions, arrays, tapes, jobs };
