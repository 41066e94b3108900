#!/usr/bin/env node
// Writes package.json's contributes.configuration from the server's own schema (`ghostls schema`),
// so the extension's settings mirror the server's one to one: names, types, defaults,
// descriptions, enums and bounds.  `--check` only compares and exits 1 on any difference.
//
// The interpreter: $GHOSTLS_PYTHON, else the repository's .venv, else python3 on PATH.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const clientDir = join(here, '..');
const repoDir = join(clientDir, '..');
const packageFile = join(clientDir, 'package.json');

/** Settings only the extension reads; keep in step with CLIENT_ONLY_SETTINGS in src/common/settings.ts. */
export const CLIENT_ONLY = {
  'ghostls.python': {
    type: 'string',
    default: '',
    scope: 'machine-overridable',
    description: 'Python interpreter that runs the ghostls server (ghostls must be installed in it). Empty: the ' +
      "Python extension's active interpreter, else python3 on PATH. ${workspaceFolder} and ~ are expanded. " +
      'Changing it restarts the server.',
  },
  'ghostls.trace.server': {
    type: 'string',
    default: 'off',
    enum: ['off', 'messages', 'verbose'],
    scope: 'window',
    description: 'Trace the LSP messages between VS Code and the ghostls server in the ghostls output channel.',
  },
};

export function findPython() {
  if (process.env.GHOSTLS_PYTHON) return process.env.GHOSTLS_PYTHON;
  const venv = join(repoDir, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  return existsSync(venv) ? venv : 'python3';
}

export function serverSchema(python = findPython()) {
  const out = execFileSync(python, ['-m', 'ghostls', 'schema'], { cwd: repoDir, encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out);
}

/** The configuration properties package.json must contribute for this schema. */
export function contribution(schema) {
  const properties = { ...CLIENT_ONLY };
  for (const [key, entry] of Object.entries(schema)) {
    const property = { type: entry.type, default: entry.default, description: entry.description };
    for (const extra of ['items', 'enum', 'minimum', 'maximum']) {
      if (entry[extra] !== undefined) property[extra] = entry[extra];
    }
    properties[key] = property;
  }
  return properties;
}

function differences(actual, expected) {
  const problems = [];
  for (const key of Object.keys(expected)) {
    if (!(key in actual)) problems.push(`missing ${key}`);
    else if (JSON.stringify(actual[key]) !== JSON.stringify(expected[key])) problems.push(`differs ${key}`);
  }
  for (const key of Object.keys(actual)) {
    if (!(key in expected)) problems.push(`not a server setting: ${key}`);
  }
  return problems;
}

function main() {
  const check = process.argv.includes('--check');
  const pkg = JSON.parse(readFileSync(packageFile, 'utf8'));
  const expected = contribution(serverSchema());
  const actual = pkg.contributes?.configuration?.properties ?? {};
  const problems = differences(actual, expected);
  if (check) {
    if (problems.length) {
      console.error(`package.json settings differ from \`ghostls schema\` (run npm run settings:sync):\n  ${problems.join('\n  ')}`);
      process.exit(1);
    }
    console.log(`package.json mirrors the server's ${Object.keys(expected).length - Object.keys(CLIENT_ONLY).length} settings.`);
    return;
  }
  pkg.contributes = pkg.contributes ?? {};
  pkg.contributes.configuration = { type: 'object', title: 'ghostls', properties: expected };
  writeFileSync(packageFile, `${JSON.stringify(pkg, null, 2)}\n`);
  console.log(problems.length ? `Updated package.json: ${problems.length} changes.` : 'package.json already up to date.');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main();
}
