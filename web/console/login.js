import { useState } from 'preact/hooks';
import { html } from './html.js';
import { postJson, setCsrf } from './api.js';
import { set } from './store.js';

export function Login() {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    const env = await postJson('/api/login', { user: form.get('user'), password: form.get('password') });
    setBusy(false);
    if (!env.ok) {
      setError(env.error.message);
      return;
    }
    setCsrf(env.result.csrf);
    set({ session: env.result });
  };
  return html`<main class="login">
    <h1>mccs console</h1>
    <form onSubmit=${submit} aria-describedby="login-help">
      <p id="login-help">Log in with a user of <code>config/users.json</code> (<code>mccs users add</code>).</p>
      <label>User <input name="user" autocomplete="username" required autofocus /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
      ${error && html`<p class="error" role="alert" id="login-error">${error}</p>`}
      <button type="submit" class="primary" disabled=${busy}>Log in</button>
    </form>
  </main>`;
}
