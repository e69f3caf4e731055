// The console's calls to the backup server's REST API: same origin, the session cookie (HttpOnly, so this script
// never sees it), and on every change the session's CSRF token in its header.
let session = null;

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export const currentSession = () => session;
export const setSession = s => { session = s; };

const ROLES = ['read-only', 'operator', 'admin'];
/** Whether the logged-in role is at least `role`. */
export const can = role => session !== null && ROLES.indexOf(session.role) >= ROLES.indexOf(role);

export async function api(method, path, body, extraHeaders) {
  const headers = { Accept: 'application/json', ...(extraHeaders || {}) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session && method !== 'GET') headers[session.csrfHeader] = session.csrf;
  const r = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 204) return null;
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!r.ok) {
    const e = data && data.error ? data.error : { code: `http.${r.status}`, message: `${method} ${path}: HTTP ${r.status}` };
    if (r.status === 401 && path !== '/console/session') { session = null; } if (r.status === 401 && path !== '/console/session') window.dispatchEvent(new CustomEvent('snapcat-logged-out', { detail: e.message }));
    throw new ApiError(r.status, e.code, e.message);
  }
  return data;
}

export const get = path => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = path => api('DELETE', path);

/** Logs in: the token goes once, as a bearer token; the answer sets the session cookie. */
export async function login(token) {
  session = await api('POST', '/console/session', undefined, { Authorization: `Bearer ${token}` });
  return session;
}

export async function resume() {
  try { session = await api('GET', '/console/session'); } catch { session = null; }
  return session;
}

export async function logout() {
  try { await api('DELETE', '/console/session'); } finally { session = null; }
}

export const qs = params => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
};
