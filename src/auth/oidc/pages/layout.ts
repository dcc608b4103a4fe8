import { createHash } from 'node:crypto';
import { ENGLISH, type PageError, type PageWords } from './page-words';

/**
 * The shell every provider page shares: plain HTML, one small stylesheet, no script (but a CAPTCHA
 * provider's, on a sign-in page that must show its widget, and the passkey button's own inline
 * script, passkey-markup.ts, allowed by its hash), no framework.
 * Every value that reaches a page goes through `escape` (or `html` for the page's own markup).
 */

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f4f1;color:#222}
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.75rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin:0 0 1rem}
h2{font-size:1rem;margin:1.5rem 0 0}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=email],input[type=password],input[type=text],select{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #888;border-radius:.4rem}
fieldset{border:1px solid #ccc;border-radius:.4rem;margin:1rem 0;padding:.5rem 1rem}
legend{font-weight:600}
.check{display:flex;gap:.5rem;align-items:flex-start;font-weight:400;margin:.5rem 0}
.check small{display:block;color:#555}
button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #555;background:#fff;cursor:pointer;margin:1rem .5rem 0 0}
button.primary{background:#2d4f8b;color:#fff;border-color:#2d4f8b}
.error{background:#fde8e8;border:1px solid #c33;padding:.5rem 1rem;border-radius:.4rem}
.note{color:#555;font-size:.9rem}
code{font-size:.85rem}
#captcha{margin-top:1rem}
`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** Origins a page lets in besides its own stylesheet, per directive: a CAPTCHA widget's (abuse/captcha-widget.ts). */
export interface PageOrigins {
  readonly script: readonly string[];
  readonly frame: readonly string[];
  readonly style: readonly string[];
  readonly connect: readonly string[];
}

/**
 * The pages' policy: nothing but this stylesheet; no framing. No form-action: after the consent
 * form, the browser follows redirects to the client's redirect_uri, which form-action would block.
 * A page showing a CAPTCHA widget also lets in that provider's script, frame (and for hCaptcha
 * style and connect) origins, and only that page.
 */
export function pageCsp(...extras: PageOrigins[]): string {
  const add = (pick: (o: PageOrigins) => readonly string[]) => [...new Set(extras.flatMap(pick))].map((origin) => ` ${origin}`).join('');
  const directives = [`default-src 'none'`, `style-src 'sha256-${STYLE_HASH}'${add((o) => o.style)}`, `img-src 'self' data:`];
  for (const [name, pick] of [['script-src', (o: PageOrigins) => o.script], ['frame-src', (o: PageOrigins) => o.frame], ['connect-src', (o: PageOrigins) => o.connect]] as const) {
    const origins = add(pick);
    if (origins) directives.push(`${name}${origins}`);
  }
  return [...directives, `base-uri 'none'`, `frame-ancestors 'none'`].join('; ');
}

export const PAGE_CSP = pageCsp();

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element or a quoted attribute. */
export function escape(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The text of `key` escaped, its {placeholders} filled with `markup` (already escaped: a name in <strong>...). */
export function words(w: PageWords, key: string, markup: Record<string, string> = {}): string {
  return escape(w.t(key)).replace(/\{(\w+)\}/g, (all, name: string) => markup[name] ?? all);
}

/** A whole page around `body` (already escaped markup); `head`: markup for the head (a widget's script tag); `language`: its <html lang>. */
export function page(title: string, body: string, head = '', language = 'en'): string {
  return `<!doctype html>
<html lang="${escape(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Cat House</title>
<style>${STYLE}</style>${head}
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

/** The error box of a page: the stable code in words (in the page's language where there is a translation), and the code itself for support. */
export function errorBox(error: PageError | undefined, w: PageWords = ENGLISH): string {
  if (!error) return '';
  return `<p class="error" role="alert" id="error" data-code="${escape(error.code)}">${escape(w.error(error))} <code>(${escape(error.code)})</code></p>`;
}
