/**
 * The VS Code glue itself (src/extension.ts, client.ts, vscodeHost.ts): activate() runs in Node
 * with the in-memory `vscode` module (test/fakeVscode.ts; real VS Code cannot be downloaded
 * here) and the real vscode-languageclient, which starts the real ghostls server with a real
 * tiny model.  What this cannot show is VS Code's own UI (ghost text, webviews, decorations).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../src/common/commands';
import { contributedProperties } from '../src/common/settings';
import { createFakeVscode, EXTENSION_MAIN } from './fakeVscode';
import { buildTinyModel, CLIENT_DIR, NO_PYTHON, repoPython } from './fakes';

function within<T>(promise: Promise<T>, ms: number, what: string, log: string[]): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen in ${ms} ms; log:\n${log.slice(-30).join('\n')}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const python = repoPython();

describe('activate() with vscode-languageclient and the real server', { skip: python ? false : NO_PYTHON }, () => {
  it('loads the model with progress in the status bar, wires the commands, pushes setting changes', async () => {
    const modelDir = buildTinyModel(python as string, path.join(mkdtempSync(path.join(tmpdir(), 'ghostls-act-')), 'model'));
    const packageJSON = JSON.parse(readFileSync(path.join(CLIENT_DIR, 'package.json'), 'utf8'));
    const settings: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(contributedProperties(packageJSON))) settings[key] = property.default;
    Object.assign(settings, { 'ghostls.python': python, 'ghostls.model': modelDir, 'ghostls.modelProfile': 'prefix-only',
      'ghostls.maxNewTokens': 8 });
    const fake = createFakeVscode(settings);
    const uninstall = fake.install();
    const extension = require(EXTENSION_MAIN) as typeof import('../src/extension');
    const context = { subscriptions: [] as { dispose(): unknown }[], extension: { packageJSON } };
    try {
      await extension.activate(context as unknown as Parameters<typeof extension.activate>[0]);
      const ready = await within(fake.statusMatching(/^\$\((sparkle|error)\)/), 180000, 'the ready status', fake.log);
      assert.equal(ready, '$(sparkle) model', fake.log.slice(-30).join('\n'));
      const texts = fake.statusItems[0]?.texts ?? [];
      assert.ok(texts.some((t) => /^\$\(sync~spin\) ghostls \d+%$/.test(t)), `no loading progress in ${texts.join(' | ')}`);
      assert.equal(fake.statusItems[0]?.command, 'ghostls.showStatus');
      assert.ok(fake.log.some((l) => l.includes(`1. ghostls.python is set: using ${python}`)));

      for (const c of COMMANDS) assert.ok(fake.commands.has(c.id), `${c.id} not registered`);
      assert.ok(fake.commands.has('ghostls.status'), "vscode-languageclient registers the server's commands too");

      await fake.commands.get('ghostls.showStatus')?.();
      assert.match(fake.messages.at(-1)?.message ?? '', /^ghostls \d+\.\d+\.\d+ \| local model \| state: ready \| device: cpu$/);

      await fake.commands.get('ghostls.toggleInlineSuggestions')?.();
      assert.equal(fake.config.get('ghostls.inline.enable'), false);
      const status = await fake.commands.get('ghostls.status')?.({}) as { settings: { inline: { enable: boolean } } };
      assert.equal(status.settings.inline.enable, false, 'the new setting reached the running server');
      assert.equal(fake.statusItems[0]?.text, '$(sparkle) model (off)');
      assert.deepEqual(fake.messages.filter((m) => m.level !== 'info'), []);
    } finally {
      await extension.deactivate();
      for (const d of context.subscriptions) d.dispose();
      uninstall();
    }
    assert.ok(fake.log.some((l) => l.includes('Stopping the server.')));
  });
});
