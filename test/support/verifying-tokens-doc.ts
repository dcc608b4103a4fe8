import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** Runs the verification code of docs/verifying-tokens.md (taken from the document itself). */
const ROOT = path.resolve(__dirname, '../..');

export async function codeBlock(language: string): Promise<string> {
  const doc = await readFile(path.join(ROOT, 'docs/verifying-tokens.md'), 'utf8');
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(doc);
  if (!match) throw new Error(`docs/verifying-tokens.md has no ${language} block`);
  return match[1]!;
}

/** Runs a program asynchronously (the service answers its JWKS requests from this same process). */
export function run(command: string, args: string[], input: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

export interface Case {
  as: 'user' | 'service' | 'installation';
  token: string;
  scope?: string;
  cat_id?: string;
  permission?: string;
}

export const PYTHON_DRIVER = `
import json, sys
results = []
for case in json.load(sys.stdin):
    try:
        if case["as"] == "user":
            claims = verify_user(case["token"])
        elif case["as"] == "service":
            claims = verify_service(case["token"], case["scope"])
        else:
            claims = verify_installation(case["token"], case["cat_id"], case.get("permission"))
        results.append({"ok": True, "sub": claims["sub"]})
    except jwt.InvalidTokenError as e:
        results.append({"ok": False, "error": type(e).__name__})
print(json.dumps(results))
`;

export const NODE_DRIVER = `
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const c of JSON.parse(input)) {
  try {
    const claims = c.as === 'user' ? await verifyUser(c.token) : c.as === 'service' ? await verifyService(c.token, c.scope) : await verifyInstallation(c.token, c.cat_id, c.permission);
    results.push({ ok: true, sub: claims.sub });
  } catch (e) {
    results.push({ ok: false, error: e.code ?? e.message });
  }
}
console.log(JSON.stringify(results));
`;

