// The console's shell: login, navigation (hash routes), logout. Pages live in pages.js.
import { login, logout, resume, currentSession } from './api.js';
import { explain } from './ui.js';
import { pages } from './pages.js';

const $ = id => document.getElementById(id);

function showLogin(message) {
  $('top').hidden = true;
  $('page').replaceChildren();
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('token').focus();
}

async function route() {
  if (!currentSession()) { showLogin(); return; }
  $('login').hidden = true;
  $('top').hidden = false;
  const s = currentSession();
  $('who').textContent = `${s.principal} (${s.role})`;
  const [, name, ...rest] = (location.hash || '#/dashboard').split('/');
  const page = pages[name] ? name : 'dashboard';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page || (page === 'backup' && a.dataset.page === 'catalog'));
  // Each route renders into its own view: when a newer route replaced it meanwhile, the older one fills a detached view.
  const view = document.createElement('div');
  view.dataset.page = page;
  $('page').replaceChildren(view);
  $('page').dataset.page = page;
  try {
    await pages[page](view, rest.map(decodeURIComponent));
  } catch (e) {
    view.append(Object.assign(document.createElement('p'), { className: 'error', textContent: explain(e) }));
  }
}

$('login-form').addEventListener('submit', async ev => {
  ev.preventDefault();
  try {
    await login($('token').value.trim());
    $('token').value = '';
    await route();
  } catch (e) {
    showLogin(e.status === 401 ? 'That token is not valid for this server.' : explain(e));
  }
});

$('logout').addEventListener('click', async () => {
  try { await logout(); } catch { /* the session is gone either way */ }
  showLogin('Logged out.');
});

window.addEventListener('snapcat-logged-out', ev => { showLogin(ev.detail); });
window.addEventListener('hashchange', route);

(async () => { await resume(); await route(); })();
