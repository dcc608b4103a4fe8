// The whole app: plain ES modules, no bundler. The package is the built @cathouse/auth-browser.
import { createAuthClient, localStorageAdapter, memoryStorage } from './auth-browser/index.js';

const { apiBase, mode } = await (await fetch('./config.json')).json();

// Bearer mode keeps the session (refresh token included) in localStorage, so reloads and other
// tabs share it. Cookie mode keeps only the access token, in memory: the HttpOnly cookie is the session.
const auth = createAuthClient({
  baseUrl: apiBase,
  mode,
  storage: mode === 'bearer' ? localStorageAdapter() : memoryStorage(),
});

// For the browser console (and the tests, which drive this very client in several tabs).
globalThis.cathouse = { auth };

const $ = (id) => document.getElementById(id);
$('mode').textContent = mode;

function show(value) {
  $('output').textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function showError(err) {
  $('error').hidden = false;
  $('error').textContent = err && err.code ? `${err.code}: ${err.message}` : String(err);
}

function logEvent(text) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('events').append(item);
}

async function render() {
  $('error').hidden = true;
  const user = await auth.getUser().catch(() => null);
  $('signed-out').hidden = !!user;
  $('signed-in').hidden = !user;
  $('who').textContent = user ? `${user.display_name || user.email} (${user.role})` : '';
  document.body.dataset.state = user ? 'signed-in' : 'signed-out';
}

auth.on('signedIn', (e) => { logEvent(`signedIn${e.fromOtherTab ? ' (other tab)' : ''}`); void render(); });
auth.on('tokenRefreshed', (e) => logEvent(`tokenRefreshed${e.fromOtherTab ? ' (other tab)' : ''}`));
auth.on('signedOut', (e) => { logEvent(`signedOut: ${e.reason}${e.fromOtherTab ? ' (other tab)' : ''}`); show(''); void render(); });

function formValues(form) {
  return Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== ''));
}

$('register-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const user = await auth.register(formValues(event.target));
    show(user);
  } catch (err) {
    showError(err);
  }
});

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { email, password } = formValues(event.target);
  try {
    show(await auth.login(email, password));
  } catch (err) {
    showError(err);
  }
});

$('me-button').addEventListener('click', async () => {
  try {
    const res = await auth.fetch(`${apiBase}/me`);
    show({ status: res.status, body: await res.json() });
  } catch (err) {
    showError(err);
  }
});

// Another service of ours, on this page's origin: it only verifies the access token.
$('cats-button').addEventListener('click', async () => {
  try {
    const res = await auth.fetch('./api/cats');
    show({ status: res.status, body: await res.json() });
  } catch (err) {
    showError(err);
  }
});

$('logout-button').addEventListener('click', () => auth.logout());
$('logout-all-button').addEventListener('click', () => auth.logout({ scope: 'global' }));

await render();
document.body.dataset.ready = 'true';
