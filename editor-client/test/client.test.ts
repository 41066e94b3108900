/**
 * The language client's middleware (src/client.ts): what reaches the server and what the
 * extension answers itself.  `vscode` is the in-memory module (test/fakeVscode.ts; real VS Code
 * cannot be downloaded here); activation.test.ts drives the same middleware through the real
 * vscode-languageclient and server.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CLIENT_MAIN, createFakeVscode } from './fakeVscode';

const fake = createFakeVscode({});
const uninstall = fake.install();
after(uninstall);
const { clientOptions } = require(CLIENT_MAIN) as typeof import('../src/client');
type Hooks = Parameters<typeof clientOptions>[0];

const AUTOMATIC = { triggerKind: 1 }; // vscode.InlineCompletionTriggerKind.Automatic
const INVOKE = { triggerKind: 0 };

function middleware(explain: Hooks['explain'] = async () => undefined) {
  const window = fake.api['window'] as { createOutputChannel(name: string, options: unknown): unknown };
  const hooks: Hooks = {
    outputChannel: window.createOutputChannel('ghostls', { log: true }) as Hooks['outputChannel'],
    settings: () => ({}), onProgress: () => undefined, onUnexpectedStop: () => undefined,
    onRecovered: () => undefined, explain,
  };
  const options = clientOptions(hooks).middleware;
  assert.ok(options?.provideInlineCompletionItems && options.executeCommand);
  return { inline: options.provideInlineCompletionItems, execute: options.executeCommand };
}

describe('inline completion middleware', () => {
  const doc = fake.addDocument('file:///w/a.py', 'python', 'total = price * count\n');
  const other = fake.addDocument('file:///w/b.py', 'python', 'x = 1\n');
  const position = fake.position(0, 5);
  const fromServer = [{ insertText: 'from the server' }];

  async function ask(context: { triggerKind: number }): Promise<{ result: unknown; asked: number }> {
    let asked = 0;
    const next = async () => { asked += 1; return fromServer; };
    const result = await middleware().inline(doc as never, position as never, context as never, {} as never, next as never);
    return { result, asked };
  }

  it('answers an automatic request with nothing while text is selected, without asking the server', async () => {
    fake.setActiveEditor(doc, [0, 0, 0, 5]);
    assert.deepEqual(await ask(AUTOMATIC), { result: [], asked: 0 });
    assert.ok(fake.log.includes('ghostls trace: inline completion skipped: text is selected'), fake.log.join('\n'));
    fake.setActiveEditor(doc, [0, 5, 0, 5], [0, 8, 0, 13]); // several cursors, one with a selection
    assert.deepEqual(await ask(AUTOMATIC), { result: [], asked: 0 });
  });

  it('sends invoked requests, and automatic ones with no selection or one in another file', async () => {
    fake.setActiveEditor(doc, [0, 0, 0, 5]);
    assert.deepEqual(await ask(INVOKE), { result: fromServer, asked: 1 });
    fake.setActiveEditor(doc, [0, 5, 0, 5]);
    assert.deepEqual(await ask(AUTOMATIC), { result: fromServer, asked: 1 });
    fake.setActiveEditor(other, [0, 0, 0, 1]);
    assert.deepEqual(await ask(AUTOMATIC), { result: fromServer, asked: 1 });
    fake.setActiveEditor(undefined);
    assert.deepEqual(await ask(AUTOMATIC), { result: fromServer, asked: 1 });
  });
});

describe('executeCommand middleware', () => {
  it("sends ghostls.explain (the light bulb's Explain) to the Explain preview, other commands to the server", async () => {
    const explained: unknown[][] = [];
    const { execute } = middleware(async (args) => { explained.push(args); return { markdown: 'shown' }; });
    const sent: string[] = [];
    const next = async (command: string) => { sent.push(command); return { from: 'server' }; };
    const target = { uri: 'file:///w/a.py', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } } };
    assert.deepEqual(await execute('ghostls.explain', [target], next), { markdown: 'shown' });
    assert.deepEqual(explained, [[target]]);
    assert.deepEqual(await execute('ghostls.status', [{}], next), { from: 'server' });
    assert.deepEqual(sent, ['ghostls.status']);
  });
});
