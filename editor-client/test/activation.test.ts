/**
 * The VS Code glue itself (src/extension.ts, client.ts, vscodeHost.ts): activate() runs in Node
 * with the in-memory `vscode` module (test/fakeVscode.ts; real VS Code cannot be downloaded
 * here) and the real vscode-languageclient, which starts the real ghostls server with a real
 * tiny model.  What this cannot show is VS Code's own UI (ghost text, webviews, decorations).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

interface Token { isCancellationRequested: boolean }
interface InlineProvider {
  provideInlineCompletionItems(document: unknown, position: unknown, context: unknown, token: Token): Promise<unknown>;
}
interface CodeActionsProvider {
  provideCodeActions(document: unknown, range: unknown, context: unknown, token: Token):
    Promise<{ title: string; command?: { command: string; arguments?: unknown[] } }[]>;
}
interface ContentProvider {
  provideTextDocumentContent(uri: unknown): string;
  onDidChange(listener: (uri: unknown) => void): unknown;
}

describe('activate() with vscode-languageclient and the real server', { skip: python ? false : NO_PYTHON }, () => {
  it('loads the model with progress in the status bar, wires the commands, pushes setting changes', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'ghostls-act-'));
    const modelDir = buildTinyModel(python as string, path.join(work, 'model'));
    const packageJSON = JSON.parse(readFileSync(path.join(CLIENT_DIR, 'package.json'), 'utf8'));
    const settings: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(contributedProperties(packageJSON))) settings[key] = property.default;
    Object.assign(settings, { 'ghostls.python': python, 'ghostls.model': modelDir, 'ghostls.modelProfile': 'prefix-only',
      'ghostls.maxNewTokens': 8 });
    const fake = createFakeVscode(settings);
    const source = path.join(work, 'circle.py');
    writeFileSync(source, 'def area(radius):\n    return 3.14159 * radius * radius\n');
    const doc = fake.addDocument(`file://${source}`, 'python', readFileSync(source, 'utf8')); // opened on start
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

      // Inline completion as VS Code asks vscode-languageclient's provider: while text is selected
      // an automatic request never reaches the server; an invoked one does.
      const token = new (fake.api['CancellationTokenSource'] as new () => { token: Token })().token;
      const inline = fake.providers.get('registerInlineCompletionItemProvider')?.[0]?.[1] as InlineProvider;
      const ask = (kind: number) => within(inline.provideInlineCompletionItems(doc, fake.position(0, 8),
        { triggerKind: kind }, token), 60000, 'an inline completion', fake.log);
      const requests = async () => (await within(Promise.resolve(fake.commands.get('ghostls.completionStats')?.({})),
        60000, 'ghostls.completionStats', fake.log) as { requests: number }).requests;
      const before = await requests();
      fake.setActiveEditor(doc, [0, 4, 0, 8]);
      assert.deepEqual(await ask(1), []);
      assert.equal(await requests(), before, 'the automatic request did not reach the server');
      await ask(0);
      assert.equal(await requests(), before + 1, 'the invoked request did');

      // The light bulb's Explain: VS Code runs the chosen code action's command; the answer
      // streams into the same Markdown preview as Explain Selection's.
      const codeActions = fake.providers.get('registerCodeActionsProvider')?.[0]?.[1] as CodeActionsProvider;
      const actions = await within(codeActions.provideCodeActions(doc, fake.range(0, 0, 1, 36),
        { diagnostics: [], only: undefined, triggerKind: 1 }, token), 60000, 'the code actions', fake.log);
      const explain = actions.find((a) => a.title === 'ghostls: Explain')?.command;
      assert.equal(explain?.command, 'ghostls.explain', JSON.stringify(actions));
      const preview = fake.contentProviders.get('ghostls-explain') as unknown as ContentProvider;
      const shown: string[] = [];
      preview.onDidChange((uri) => shown.push(preview.provideTextDocumentContent(uri)));
      const run = fake.api['commands'] as { executeCommand(id: string, ...args: unknown[]): Promise<unknown> };
      const result = await within(run.executeCommand(explain.command, ...explain.arguments ?? []), 120000,
        "the light bulb's Explain", fake.log) as { markdown: string };
      const opened = fake.executed.find((e) => e.id === 'markdown.showPreviewToSide')?.args[0];
      assert.ok(opened !== undefined, 'the Explain preview opened');
      assert.ok(result.markdown);
      assert.equal(preview.provideTextDocumentContent(opened), result.markdown);
      assert.ok(shown.some((text) => text.endsWith(' …\n')), `nothing streamed: ${shown.join(' | ')}`);

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
