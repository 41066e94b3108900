/** Interpreter resolution on real files and real interpreters (no VS Code needed for this logic). */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { MemoryLogger } from '../src/common/log';
import {
  cannotStartMessage, checkGhostls, expandSetting, findOnPath, pipInstallCommand, resolveInterpreter,
} from '../src/common/python';
import { NO_PYTHON, repoPython } from './fakes';

function executable(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, 0o755);
  return file;
}

function sandbox() {
  const root = mkdtempSync(path.join(tmpdir(), 'ghostls-python-'));
  const bin = path.join(root, 'bin');
  const pathPython = executable(bin, 'python3');
  const venvPython = executable(path.join(root, 'project', '.venv', 'bin'), 'python');
  const extensionPython = executable(path.join(root, 'conda', 'bin'), 'python');
  return { root, bin, pathPython, venvPython, extensionPython, workspace: path.join(root, 'project') };
}

describe('resolveInterpreter', { skip: process.platform === 'win32' ? 'POSIX paths' : false }, () => {
  it('uses ghostls.python first, expanding ${workspaceFolder}, and logs the step', async () => {
    const s = sandbox();
    const log = new MemoryLogger();
    const found = await resolveInterpreter({
      setting: '${workspaceFolder}/.venv/bin/python', workspaceFolder: s.workspace,
      pythonExtension: async () => s.extensionPython, pathEnv: s.bin,
    }, log);
    assert.deepEqual(found, { path: s.venvPython, source: 'setting' });
    assert.match(log.lines.join('\n'), /1\. ghostls\.python is set: using .*\.venv\/bin\/python/);
  });

  it('resolves a relative setting against the workspace folder', async () => {
    const s = sandbox();
    const found = await resolveInterpreter({
      setting: '.venv/bin/python', workspaceFolder: s.workspace, pythonExtension: async () => undefined, pathEnv: '',
    }, new MemoryLogger());
    assert.equal(found?.path, s.venvPython);
  });

  it("falls back to the Python extension's interpreter when the setting is not an executable", async () => {
    const s = sandbox();
    const log = new MemoryLogger();
    const found = await resolveInterpreter({
      setting: path.join(s.root, 'missing', 'python'), pythonExtension: async () => s.extensionPython, pathEnv: s.bin,
    }, log);
    assert.deepEqual(found, { path: s.extensionPython, source: 'python-extension' });
    assert.ok(log.lines.some((l) => l.startsWith('warn: 1. ghostls.python is') && l.includes('not an executable')));
    assert.ok(log.lines.some((l) => l.includes("2. The Python extension's active interpreter")));
  });

  it('falls back to python3 on PATH when the Python extension is absent or fails', async () => {
    const s = sandbox();
    for (const pythonExtension of [async () => undefined, async () => { throw new Error('not activated'); }]) {
      const log = new MemoryLogger();
      const found = await resolveInterpreter({ setting: '', pythonExtension, pathEnv: `/nonexistent:${s.bin}` }, log);
      assert.deepEqual(found, { path: s.pathPython, source: 'path' });
      assert.equal(log.lines.filter((l) => /^(info|warn): [123]\. /.test(l)).length, 3, log.lines.join('\n'));
    }
  });

  it('reports when nothing is found, and says what to set', async () => {
    const log = new MemoryLogger();
    const found = await resolveInterpreter({ setting: '', pythonExtension: async () => undefined, pathEnv: '' }, log);
    assert.equal(found, undefined);
    assert.match(log.lines.at(-1) ?? '', /^error: 3\. No python3 or python on PATH\. Set ghostls\.python/);
    assert.match(cannotStartMessage(undefined), /set "ghostls\.python"/);
  });

  it('skips PATH entries that are directories or not executable', () => {
    const s = sandbox();
    const plain = path.join(s.root, 'plain');
    mkdirSync(path.join(plain, 'python3'), { recursive: true }); // a directory named python3
    const noExec = path.join(s.root, 'noexec');
    mkdirSync(noExec);
    writeFileSync(path.join(noExec, 'python3'), '');
    assert.equal(findOnPath(['python3'], [plain, noExec, s.bin].join(':')), s.pathPython);
  });

  it('expands ~ and ${userHome}', () => {
    assert.equal(expandSetting('~/py/bin/python', undefined, '/home/u'), '/home/u/py/bin/python');
    assert.equal(expandSetting('${userHome}/x', undefined, '/home/u'), '/home/u/x');
  });
});

describe('checkGhostls (runs the real interpreter)', () => {
  const python = repoPython();
  it('finds ghostls and its version in the repository environment', { skip: python ? false : NO_PYTHON }, async () => {
    const check = await checkGhostls(python as string);
    assert.equal(check.ok, true, check.detail);
    assert.match(check.version ?? '', /^\d+\.\d+/);
  });

  it('explains, with the pip command, an interpreter that lacks ghostls', async () => {
    const s = sandbox();
    // A real interpreter with no ghostls: -I isolates it from the user site and PYTHONPATH.
    const bare = executable(s.root, 'bare-python');
    const system = findOnPath(['python3'], process.env['PATH']);
    if (system === undefined) return;
    writeFileSync(bare, `#!/bin/sh\nexec ${system} -I "$@"\n`);
    const check = await checkGhostls(bare);
    if (check.ok) return; // ghostls installed system-wide: nothing to show here
    assert.match(check.detail, /No module named 'ghostls'/);
    const message = cannotStartMessage(bare, check);
    assert.ok(message.includes(`${bare} -m pip install ghostls`), message);
    assert.ok(message.includes("No module named 'ghostls'"));
  });

  it('quotes interpreter paths with spaces in the pip command', () => {
    assert.equal(pipInstallCommand('/opt/my python/bin/python'), '"/opt/my python/bin/python" -m pip install ghostls');
  });
});
