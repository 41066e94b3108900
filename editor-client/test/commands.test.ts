/**
 * Command wiring: each palette command calls the right server command with the right arguments
 * and shows the result.  VS Code is the in-memory FakeHost (real VS Code cannot be downloaded
 * here; see test/README.md); the server answers from a table shaped like the server contract.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS, Commands, SHOW_LOGS } from '../src/common/commands';
import type { EditorState } from '../src/common/host';
import { MemoryLogger } from '../src/common/log';
import { CLIENT_DIR, FakeClient, FakeHost } from './fakes';

const URI = 'file:///w/circle.py';
const SELECTION = { start: { line: 2, character: 0 }, end: { line: 4, character: 10 } };

function editor(selection = SELECTION): EditorState {
  return { uri: URI, languageId: 'python', selection, cursor: selection.end };
}

const VIEW_HTML = '<html><head><style>b{}</style></head><body><script>render()</script></body></html>';

function serverAnswers(command: string, args: Record<string, unknown>, client: FakeClient): unknown {
  switch (command) {
    case 'ghostls.showTokens': // the server's shape: tokens, and groups of them with LSP ranges
      return {
        tokens: [
          { index: 0, id: 1, piece: '<|endoftext|>', text: '', bytes: 0, special: true, group: null },
          { index: 1, id: 7, piece: 'def', text: 'def', bytes: 3, special: false, group: 0 },
          { index: 2, id: 9, piece: 'Ġarea', text: ' area', bytes: 5, special: false, group: 1 },
        ],
        groups: [
          { text: 'def', tokens: [1], range: { start: { line: 2, character: 0 }, end: { line: 2, character: 3 } } },
          { text: ' area', tokens: [2], range: { start: { line: 2, character: 3 }, end: { line: 2, character: 8 } } },
        ],
        totals: { tokens: 3 }, html: VIEW_HTML,
      };
    case 'ghostls.showAttention':
      return {
        lines: [
          { line: 2, mass: 0.6, range: { start: { line: 2, character: 0 }, end: { line: 2, character: 20 } } },
          { line: 3, mass: 0.3, range: { start: { line: 3, character: 0 }, end: { line: 3, character: 12 } } },
          { line: 4, mass: 0.0, range: { start: { line: 4, character: 0 }, end: { line: 4, character: 9 } } },
        ],
        html: VIEW_HTML,
      };
    case 'ghostls.explain':
      client.stream({ streamId: String(args['streamId']), text: 'It computes', done: false });
      client.stream({ streamId: 'someone-else', text: 'WRONG', done: false });
      client.stream({ streamId: String(args['streamId']), text: 'It computes the area.', done: true });
      return { markdown: '# Explanation\n\nIt computes the area.' };
    case 'ghostls.showPrompt':
      return { text: '<fim_prefix>def area', segments: [], budget: {} }; // no html: shown as text
    case 'ghostls.status':
      return { version: '0.1.0', provider: { state: 'ready', provider: 'local', model: 'tiny', device: 'cpu' } };
    default:
      return { html: VIEW_HTML };
  }
}

function setup(answer = serverAnswers) {
  const host = new FakeHost();
  host.editor = editor();
  const client = new FakeClient(answer);
  let restarts = 0;
  const statuses: unknown[] = [];
  const commands = new Commands({
    host, client: () => client, restart: async () => { restarts += 1; }, onStatus: (s) => statuses.push(s),
    log: new MemoryLogger(),
  });
  return { host, client, commands, handlers: commands.handlers(), restarts: () => restarts, statuses };
}

// What the preview shows, step by step, while the fake server streams its explanation.
const STREAMED_PREVIEW = [
  '# Explanation\n\n_Generating…_\n',
  '# Explanation\n\nIt computes …\n',
  '# Explanation\n\nIt computes the area.\n',
  '# Explanation\n\nIt computes the area.',
];

describe('palette commands', () => {
  it('are the ones package.json contributes, with the same titles, and none reuses a server command id', () => {
    const pkg = JSON.parse(readFileSync(path.join(CLIENT_DIR, 'package.json'), 'utf8'));
    const contributed = pkg.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]);
    assert.deepEqual(contributed, COMMANDS.map((c) => [c.id, c.title]));
    const serverIds = new Set(COMMANDS.map((c) => c.server).filter((s) => s));
    for (const c of COMMANDS) assert.ok(!serverIds.has(c.id), `${c.id} collides with a server command`);
    assert.deepEqual(Object.keys(setup().handlers).sort(), COMMANDS.map((c) => c.id).sort());
  });

  it('Show Tokenization sends the selection, paints token boundaries and opens a CSP webview', async () => {
    const { host, client, handlers } = setup();
    await handlers['ghostls.showTokenization']?.();
    assert.deepEqual(client.calls, [{ command: 'ghostls.showTokens', args: { uri: URI, range: SELECTION } }]);
    assert.equal(host.painted.length, 1);
    const painted = host.painted[0]!;
    assert.equal(painted.uri, URI);
    assert.deepEqual(painted.decorations.even.map((d) => [d.range.end.character, d.hover]), [[3, 'token #7 "def"']]);
    assert.deepEqual(painted.decorations.odd.map((d) => [d.range.end.character, d.hover]), [[8, 'token #9 "Ġarea"']]);
    const panel = host.panels[0]!;
    assert.equal(panel.viewType, 'ghostls.tokens');
    assert.match(panel.html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
    assert.match(panel.html, /<script nonce="[^"]+">render\(\)/);
    assert.equal(host.errors.length, 0);
  });

  it('Show Attention paints the key weights on the lines, heaviest darkest; no selection sends no range', async () => {
    const { host, client, handlers } = setup();
    host.editor = editor({ start: { line: 3, character: 1 }, end: { line: 3, character: 1 } });
    await handlers['ghostls.showAttentionView']?.();
    assert.deepEqual(client.calls, [{ command: 'ghostls.showAttention', args: { uri: URI } }]);
    assert.equal(host.panels[0]?.viewType, 'ghostls.attention');
    const levels = host.attention[0]!.levels;
    assert.equal(levels.length, 5);
    assert.deepEqual(levels.map((l) => l.map((d) => d.range.start.line)), [[], [], [3], [], [2]]);
    assert.match(levels[4]![0]!.hover, /line 3: 0\.6 \(66\.7% of the attention\)/);
  });

  it('reuses one panel per view and renders each time with a new nonce', async () => {
    const { host, handlers } = setup();
    await handlers['ghostls.showPositionalEncodings']?.();
    const first = host.panels[0]!.html;
    await handlers['ghostls.showPositionalEncodings']?.();
    assert.equal(host.panels.length, 1);
    assert.equal(host.panels[0]!.reveals, 2);
    assert.notEqual(host.panels[0]!.html, first);
    host.panels[0]!.close();
    await handlers['ghostls.showPositionalEncodings']?.();
    assert.equal(host.panels.length, 2, 'a closed panel is created again');
  });

  it('Show Prompt sends the cursor position and shows text when the server sends no HTML', async () => {
    const { host, client, handlers } = setup();
    await handlers['ghostls.showPromptView']?.();
    assert.deepEqual(client.calls, [{ command: 'ghostls.showPrompt', args: { uri: URI, position: SELECTION.end } }]);
    assert.match(host.panels[0]!.html, /&lt;fim_prefix&gt;def area/);
  });

  it('Explain Selection streams into a Markdown preview, then shows the final answer', async () => {
    const { host, client, commands, handlers } = setup();
    const seen: string[] = [];
    commands.explanations.onDidChange((uri) => seen.push(commands.explanations.text(uri)));
    await handlers['ghostls.explainSelection']?.();
    const call = client.calls[0]!;
    assert.equal(call.command, 'ghostls.explain');
    assert.deepEqual(call.args['range'], SELECTION);
    assert.match(String(call.args['streamId']), /^explain-/);
    assert.equal(host.previews.length, 1);
    assert.deepEqual(seen, STREAMED_PREVIEW);
    assert.equal(commands.explanations.text(host.previews[0]!), '# Explanation\n\nIt computes the area.');
    assert.equal(client.streamListeners, 0, 'the stream listener is released');
  });

  it("the light bulb's Explain (its code action runs the server command) streams into the same preview", async () => {
    const { host, client, commands } = setup();
    host.editor = undefined; // the code action names its target: no editor state is needed
    const seen: string[] = [];
    commands.explanations.onDidChange((uri) => seen.push(commands.explanations.text(uri)));
    const target = { uri: URI, range: SELECTION }; // what the server's Explain code action carries
    const result = await commands.explainServerCommand([target]);
    assert.deepEqual(result, { markdown: '# Explanation\n\nIt computes the area.' }, 'the caller still gets it');
    assert.equal(client.calls.length, 1);
    assert.deepEqual({ ...client.calls[0]!.args, streamId: undefined }, { ...target, streamId: undefined });
    assert.match(String(client.calls[0]!.args['streamId']), /^explain-/);
    assert.equal(host.previews.length, 1);
    assert.deepEqual(seen, STREAMED_PREVIEW);
    assert.equal(client.streamListeners, 0);
    assert.deepEqual(host.errors, []);

    await commands.explainServerCommand([{ ...target, streamId: 'callers-own' }]);
    assert.equal(client.calls[1]!.args['streamId'], 'callers-own', "a caller's streamId is kept");
  });

  it("the light bulb's Explain shows a failure itself (VS Code would drop it) and resolves", async () => {
    const { host, commands } = setup(() => { throw new Error('file:///w/circle.py is not open in the editor'); });
    assert.equal(await commands.explainServerCommand([{ uri: URI, range: SELECTION }]), undefined);
    assert.deepEqual(host.errors.map((e) => e.message),
      ['ghostls: Explain failed: file:///w/circle.py is not open in the editor']);
    assert.match(commands.explanations.text(host.previews[0]!), /Failed: .* is not open in the editor/);
    assert.equal(await commands.explainServerCommand(['not a target']), undefined);
    assert.match(host.errors[1]!.message, /ghostls: Explain failed: ghostls\.explain needs \{uri, range\}/);
  });

  it('a server error becomes one message offering Show Logs, and the preview says it failed', async () => {
    const { host, commands, handlers } = setup(() => { throw new Error('ghostls.explain: nothing selected'); });
    host.answer = SHOW_LOGS;
    await handlers['ghostls.explainSelection']?.();
    assert.deepEqual(host.errors, [{ message: 'ghostls: Explain Selection failed: ghostls.explain: nothing selected',
      actions: [SHOW_LOGS] }]);
    assert.equal(host.logsShown, 1);
    assert.match(commands.explanations.text(host.previews[0]!), /Failed: ghostls\.explain: nothing selected/);
  });

  it('says what to do when no editor is open or the server is down', async () => {
    const { host, handlers } = setup();
    host.editor = undefined;
    await handlers['ghostls.showTokenization']?.();
    assert.match(host.errors[0]!.message, /Show Tokenization failed: open a file first/);
    const down = new Commands({ host, client: () => undefined, restart: async () => undefined, log: new MemoryLogger() });
    host.editor = editor();
    await down.handlers()['ghostls.showTokenization']?.();
    assert.match(host.errors[1]!.message, /the server is not running \(run "ghostls: Restart Server"\)/);
  });

  it('Toggle, Restart, Show Logs and Show Status do what they say', async () => {
    const { host, client, handlers, restarts, statuses } = setup();
    await handlers['ghostls.toggleInlineSuggestions']?.();
    assert.equal(host.inlineEnabled, false);
    assert.equal(host.infos.at(-1)?.message, 'ghostls: inline suggestions off');
    await handlers['ghostls.restartServer']?.();
    assert.equal(restarts(), 1);
    await handlers['ghostls.showLogs']?.();
    assert.equal(host.logsShown, 1);
    await handlers['ghostls.showStatus']?.();
    assert.deepEqual(client.calls.at(-1), { command: 'ghostls.status', args: {} });
    assert.equal(statuses.length, 1);
    assert.equal(host.infos.at(-1)?.message, 'ghostls 0.1.0 | local tiny | state: ready | device: cpu');
  });
});
