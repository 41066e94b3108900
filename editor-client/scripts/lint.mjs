#!/usr/bin/env node
// House rules tsc cannot check: only the VS Code glue imports `vscode` (the logic in src/common
// must run under Node's test runner), and no stray console output or `any`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const VSCODE_ALLOWED = new Set(['src/extension.ts', 'src/client.ts', 'src/vscodeHost.ts']);

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

const problems = [];
for (const dir of ['src', 'test']) {
  for (const file of files(join(root, dir))) {
    const rel = relative(root, file).split('\\').join('/');
    const text = readFileSync(file, 'utf8');
    text.split('\n').forEach((line, i) => {
      const where = `${rel}:${i + 1}`;
      if (/from\s+['"]vscode(-languageclient[^'"]*)?['"]/.test(line) && !line.includes('import type') &&
        !VSCODE_ALLOWED.has(rel)) {
        problems.push(`${where}: only ${[...VSCODE_ALLOWED].join(', ')} may import the VS Code API`);
      }
      if (rel.startsWith('src/') && /\bconsole\.(log|info|debug)\(/.test(line)) {
        problems.push(`${where}: log through the output channel, not the console`);
      }
      if (/:\s*any\b|<any>|as any\b/.test(line)) {
        problems.push(`${where}: no 'any'`);
      }
    });
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('lint: ok');
