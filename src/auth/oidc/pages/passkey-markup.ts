import { createHash } from 'node:crypto';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { PageCeremony } from '../sign-in/sign-in-method';
import { escape, words } from './layout';
import { ENGLISH, type PageWords } from './page-words';

/**
 * A passkey inside a sign-in form (issue 26 on the login page and /device): a button, hidden until
 * this script runs (a browser without JavaScript sees the <noscript> note and the other forms), that
 * asks navigator.credentials.get() with the options the server rendered into the page (made for
 * this page only, see SignInMethod.ceremony), puts the credential's JSON (PublicKeyCredential
 * .toJSON()'s shape, as the JSON API takes it) into the hidden `assertion` field and posts the form
 * as it is, CSRF token included. The server checks it with the JSON API's code.
 *
 * The script is the same text on every page and in every language (the options and the words it
 * may say travel in data attributes), so the page's
 * Content-Security-Policy lets it in by its hash, as it does the stylesheet: no per-response nonce.
 * It converts base64url by hand rather than with PublicKeyCredential.parseRequestOptionsFromJSON,
 * which not every browser with passkeys has yet.
 */
const SCRIPT = `(function () {
  var box = document.currentScript.parentNode;
  var form = box.closest('form');
  var button = box.querySelector('button');
  var field = box.querySelector('input[name=assertion]');
  var problem = box.querySelector('.passkey-problem');
  var say = function (words) { problem.textContent = words; problem.hidden = false; };
  var bytes = function (s) {
    var b = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    var out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
    return out;
  };
  var text = function (buffer) {
    var b = '';
    new Uint8Array(buffer).forEach(function (c) { b += String.fromCharCode(c); });
    return btoa(b).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  };
  box.hidden = false;
  if (!window.PublicKeyCredential || !navigator.credentials) {
    button.disabled = true;
    say(box.getAttribute('data-unsupported'));
    return;
  }
  button.addEventListener('click', function () {
    var o = JSON.parse(box.getAttribute('data-options'));
    o.challenge = bytes(o.challenge);
    o.allowCredentials = (o.allowCredentials || []).map(function (c) { return { type: c.type, id: bytes(c.id), transports: c.transports }; });
    button.disabled = true;
    problem.hidden = true;
    navigator.credentials.get({ publicKey: o }).then(function (c) {
      var r = c.response;
      field.value = JSON.stringify({
        id: c.id, rawId: text(c.rawId), type: c.type,
        response: { clientDataJSON: text(r.clientDataJSON), authenticatorData: text(r.authenticatorData), signature: text(r.signature), userHandle: r.userHandle ? text(r.userHandle) : undefined },
        authenticatorAttachment: c.authenticatorAttachment || undefined,
        clientExtensionResults: c.getClientExtensionResults()
      });
      form.submit();
    }, function (e) {
      button.disabled = false;
      say(box.getAttribute('data-not-used').replace('{reason}', e.name));
    });
  });
})();`;

const SCRIPT_HASH = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;

/** The passkey's part of a form: `label` on its button, `options` from the server's passkey code for this page, its notes in `w`'s language. */
export function passkeyCeremony(options: PublicKeyCredentialRequestOptionsJSON, label: string, w: PageWords = ENGLISH): PageCeremony {
  const said = `data-unsupported="${escape(w.t('passkey.unsupported'))}" data-not-used="${escape(w.t('passkey.not_used'))}"`;
  const markup = `<div class="passkey" hidden data-options="${escape(JSON.stringify(options))}" ${said}>
<input type="hidden" name="assertion" value="">
<button class="primary" type="button" id="passkey-button">${escape(label)}</button>
<p class="error passkey-problem" role="alert" hidden></p>
<script>${SCRIPT}</script>
</div>
<noscript><p class="note">${words(w, 'passkey.noscript')}</p></noscript>`;
  return { markup, csp: { script: [SCRIPT_HASH], frame: [], style: [], connect: [] } };
}

