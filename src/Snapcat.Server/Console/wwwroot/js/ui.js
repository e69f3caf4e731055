// Small DOM helpers: no framework, no inline HTML from data (text only), so catalog contents cannot inject markup.
import { can, ApiError } from './api.js';

/** h('td.num', {title:'x'}, 'text', child…): an element; string children become text nodes. */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) { children.unshift(attrs); attrs = null; }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'testid') el.dataset.testid = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const table = (heads, rows, testid) =>
  h('table', { testid }, h('thead', h('tr', heads.map(x => h('th', x)))), h('tbody', rows.length ? rows : h('tr', h('td.muted', { colSpan: heads.length }, 'none'))));

/** A two-column table of [name, value] pairs. */
export const kvTable = (pairs, testidPrefix, testid) =>
  h('table.kv', { testid }, h('tbody', pairs.map(([k, v]) => h('tr', h('th', k), h('td', { testid: testidPrefix ? testidPrefix + k.replaceAll(' ', '-') : undefined }, v instanceof Node ? v : String(v))))));

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0; let v = Number(n);
  while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i ? 1 : 0)} ${u[i]}`;
}

export const time = t => (t ? new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–');

export const state = s => h(`span.state-${s}`, { testid: 'state' }, s);

/** A button that needs `role`: disabled with the reason for a weaker role (the server refuses anyway). */
export function roleButton(label, role, onclick, testid, cls) {
  const b = h(`button${cls ? '.' + cls : ''}`, { type: 'button', testid, onclick }, label);
  if (!can(role)) { b.disabled = true; b.title = `needs the ${role} role`; }
  return b;
}

export function toast(message, bad) {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.className = bad ? 'bad' : '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, bad ? 12000 : 5000);
}

export const explain = e => (e instanceof ApiError ? `${e.message} (${e.code}, HTTP ${e.status})` : String(e && e.message ? e.message : e));

/** The confirmation dialog: resolves with the body's form values, or null when cancelled. */
export function confirmDialog(title, body, okLabel) {
  const d = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  const holder = document.getElementById('confirm-body');
  holder.replaceChildren(...[body].flat().filter(Boolean).map(x => (x instanceof Node ? x : h('p', x))));
  document.getElementById('confirm-ok').textContent = okLabel || 'Confirm';
  return new Promise(resolve => {
    d.addEventListener('close', () => {
      if (d.returnValue !== 'ok') { resolve(null); return; }
      const values = {};
      for (const el of holder.querySelectorAll('input, select, textarea')) values[el.name] = el.type === 'checkbox' ? el.checked : el.value;
      resolve(values);
    }, { once: true });
    d.returnValue = '';
    d.showModal();
  });
}

export const field = (label, input) => h('label.field', label, input);
