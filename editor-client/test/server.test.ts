/**
 * Starting the server.  The supervisor runs with real interpreter resolution and a real import
 * check; the last test launches the real `python -m ghostls serve` from the extension's launch
 * plan and speaks LSP to it over stdio with vscode-jsonrpc (what vscode-languageclient uses),
 * answering workspace/configuration and $/progress with the extension's own logic.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  createProtocolConnection, DidOpenTextDocumentNotification, ExecuteCommandRequest, ExitNotification,
  InitializedNotification, InitializeRequest, InlineCompletionRequest, ShutdownRequest, StreamMessageReader,
  StreamMessageWriter, WorkDoneProgress, WorkDoneProgressCreateRequest,
} from 'vscode-languageserver-protocol/node';
import { COMMANDS } from '../src/common/commands';
import { MemoryLogger } from '../src/common/log';
import { checkGhostls, findOnPath } from '../src/common/python';
import { secureHtml } from '../src/common/webview';
import { launchPlan, type LaunchPlan, type RunningServer, ServerSupervisor } from '../src/common/server';
import { configurationAnswer, contributedProperties, serverSettingKeys, toServerSettings } from '../src/common/settings';
import { type ServerState, stateAfterProgress, stateFromStatus } from '../src/common/status';
import { buildTinyModel, CLIENT_DIR, NO_PYTHON, repoPython } from './fakes';

const python = repoPython();

function supervisorWith(setting: string, start: (plan: LaunchPlan) => Promise<RunningServer>) {
  const states: ServerState[] = [];
  const errors: string[] = [];
  let logsShown = 0;
  const log = new MemoryLogger();
  const supervisor = new ServerSupervisor({
    lookup: () => ({ setting, pythonExtension: async () => undefined, pathEnv: '' }),
    check: (p) => checkGhostls(p),
    start,
    onState: (s) => states.push(s),
    showError: async (message) => { errors.push(message); return 'Show Logs'; },
    showLogs: () => { logsShown += 1; },
    log,
  });
  return { supervisor, states, errors, log, logsShown: () => logsShown };
}

function fakeRunning(events: string[], name: string): RunningServer {
  return {
    execute: async () => ({}),
    onStream: () => ({ dispose: () => undefined }),
    pushSettings: async () => undefined,
    stop: async () => { events.push(`stop ${name}`); },
  };
}

describe('ServerSupervisor', () => {
  it('starts `python -m ghostls serve --stdio` with the checked interpreter', { skip: python ? false : NO_PYTHON },
    async () => {
      const plans: LaunchPlan[] = [];
      const events: string[] = [];
      const { supervisor, states, log } = supervisorWith(python as string, async (plan) => {
        plans.push(plan);
        return fakeRunning(events, 'first');
      });
      assert.equal(await supervisor.restart('activation'), true);
      assert.deepEqual(plans.map((p) => [p.command, p.args]), [[python, ['-m', 'ghostls', 'serve', '--stdio']]]);
      assert.equal(plans[0]?.env['PYTHONUNBUFFERED'], '1');
      assert.deepEqual(states.map((s) => s.kind), ['starting', 'starting']);
      assert.ok(log.lines.some((l) => /ghostls \d+\.\d+.* in /.test(l)), log.lines.join('\n'));
    });

  it('restarts one at a time: the old server stops before the new one starts', { skip: python ? false : NO_PYTHON },
    async () => {
      const events: string[] = [];
      let n = 0;
      const { supervisor } = supervisorWith(python as string, async () => {
        n += 1;
        events.push(`start ${n}`);
        return fakeRunning(events, String(n));
      });
      await Promise.all([supervisor.restart('a'), supervisor.restart('b'), supervisor.restart('c')]);
      assert.deepEqual(events, ['start 1', 'stop 1', 'start 2', 'stop 2', 'start 3']);
      await supervisor.stop();
      assert.equal(events.at(-1), 'stop 3');
      assert.equal(supervisor.client, undefined);
    });

  it('shows a clear error with the pip command and Show Logs when ghostls is missing', async (t) => {
    const system = findOnPath(['python3'], process.env['PATH']);
    if (system === undefined) return t.skip('no python3 on PATH');
    const bare = path.join(mkdtempSync(path.join(tmpdir(), 'ghostls-bare-')), 'python');
    writeFileSync(bare, `#!/bin/sh\nexec ${system} -I "$@"\n`); // a real interpreter without ghostls
    chmodSync(bare, 0o755);
    if ((await checkGhostls(bare)).ok) return t.skip('ghostls is installed system-wide');
    let started = false;
    const { supervisor, states, errors, logsShown } = supervisorWith(bare, async () => {
      started = true;
      throw new Error('unreachable');
    });
    assert.equal(await supervisor.restart('activation'), false);
    assert.equal(started, false);
    const last = states.at(-1);
    assert.equal(last?.kind, 'error');
    assert.equal(errors.length, 1);
    assert.ok(errors[0]?.includes(`${bare} -m pip install ghostls`), errors[0]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(logsShown(), 1, 'choosing Show Logs shows them');
  });

  it('reports a server that fails to start, with its error', { skip: python ? false : NO_PYTHON }, async () => {
    const { supervisor, states, errors } = supervisorWith(python as string, async () => {
      throw new Error('Pending response rejected since connection got disposed');
    });
    assert.equal(await supervisor.restart('activation'), false);
    assert.equal(states.at(-1)?.kind, 'error');
    assert.match(errors[0] ?? '', /connection got disposed/);
  });
});

const serverPages: Record<string, string> = {};

describe('the real server, launched from the extension\'s plan', { skip: python ? false : NO_PYTHON }, () => {
  it('takes our settings, reports loading progress, completes inline and answers ghostls.status', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'ghostls-e2e-'));
    const modelDir = path.join(work, 'model');
    buildTinyModel(python as string, modelDir);
    // Every contributed setting at its default, as VS Code reports them, plus a model.
    const properties = contributedProperties(JSON.parse(readFileSync(path.join(CLIENT_DIR, 'package.json'), 'utf8')));
    const values: Record<string, unknown> = { model: modelDir, modelProfile: 'prefix-only', maxNewTokens: 8 };
    const settings = toServerSettings(serverSettingKeys(properties),
      (key) => values[key] ?? properties[`ghostls.${key}`]?.default);

    const plan = launchPlan(python as string);
    const child = spawn(plan.command, plan.args, { env: plan.env, cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += String(chunk); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const shown: string[] = [];
    const configurationRequests: unknown[] = [];
    let state: ServerState = { kind: 'starting' };
    const states: string[] = [];
    connection.onNotification('window/showMessage', (p: { message: string }) => { shown.push(p.message); });
    connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => {
      configurationRequests.push(p);
      return configurationAnswer(p.items, () => settings);
    });
    connection.onRequest(WorkDoneProgressCreateRequest.type, (p) => {
      connection.onProgress(WorkDoneProgress.type, p.token, (value) => {
        const next = stateAfterProgress(state, value);
        states.push(next === undefined ? 'end' : `${next.kind} ${next.kind === 'loading' ? next.percent ?? '' : ''}`.trim());
        state = next ?? state;
      });
    });
    connection.listen();
    try {
      const init = await connection.sendRequest(InitializeRequest.type, {
        processId: process.pid, rootUri: `file://${work}`, initializationOptions: settings,
        capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true },
          textDocument: { inlineCompletion: { dynamicRegistration: false } } },
        workspaceFolders: null,
      });
      const serverCommands = init.capabilities.executeCommandProvider?.commands ?? [];
      assert.ok(serverCommands.includes('ghostls.status'));
      for (const c of COMMANDS) assert.ok(!serverCommands.includes(c.id), `${c.id} collides with a server command`);
      assert.ok(init.capabilities.inlineCompletionProvider);
      await connection.sendNotification(InitializedNotification.type, {});

      const uri = `file://${work}/circle.py`;
      await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: {
        uri, languageId: 'python', version: 1, text: 'def area(radius):\n    ret' } });
      const inline = await connection.sendRequest(InlineCompletionRequest.type, {
        textDocument: { uri }, position: { line: 1, character: 7 }, context: { triggerKind: 1 } });
      const items = Array.isArray(inline) ? inline : inline?.items ?? [];
      assert.equal(items.length, 1, stderr.slice(-2000));

      const status = await connection.sendRequest(ExecuteCommandRequest.type, { command: 'ghostls.status', arguments: [{}] });
      const ready = stateFromStatus(status);
      assert.equal(ready.kind, 'ready');
      assert.equal(ready.kind === 'ready' && ready.provider, 'local');
      assert.deepEqual((status as { settings: unknown }).settings, settings, 'the server took every setting as sent');
      assert.deepEqual(shown.filter((m) => /invalid settings|unknown setting/i.test(m)), []);
      assert.ok(configurationRequests.length >= 1, 'the server pulled workspace/configuration');
      assert.ok(states.length >= 2 && states[0]?.startsWith('loading') && states.at(-1) === 'end', states.join(', '));
      for (const command of ['ghostls.showTokens', 'ghostls.showAttention', 'ghostls.showPositions']) {
        const view = await connection.sendRequest(ExecuteCommandRequest.type, { command, arguments: [{ uri }] });
        serverPages[command] = (view as { html: string }).html;
      }
      await connection.sendRequest(ShutdownRequest.type);
      await connection.sendNotification(ExitNotification.type);
      assert.equal(await exited, 0, stderr.slice(-2000));
    } finally {
      connection.dispose();
      child.kill();
    }
  });
});

function chromium(): string | undefined {
  return process.env['CHROMIUM'] ?? findOnPath(['chromium', 'chromium-browser', 'google-chrome'], process.env['PATH']);
}

/** The DOM after the page's scripts ran, from real headless Chromium (which enforces the CSP). */
function renderedBody(browser: string, html: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ghostls-webview-'));
  const file = path.join(dir, 'view.html');
  writeFileSync(file, html);
  const dom = execFileSync(browser, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${dir}/profile`,
    '--virtual-time-budget=10000', // let async rendering (DecompressionStream) finish before the dump
    '--dump-dom', `file://${file}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60000 });
  return /<body[^>]*>/.exec(dom)?.[0] ?? '';
}

describe("the server's real views under the extension's CSP, in headless Chromium", () => {
  it('render (their scripts carry the nonce); without the nonce the CSP blocks them', (t) => {
    const browser = chromium();
    if (browser === undefined) return t.skip('no chromium on PATH (apt-get install chromium)');
    if (Object.keys(serverPages).length === 0) return t.skip('the real-server test did not run');
    for (const [command, html] of Object.entries(serverPages)) {
      const secured = secureHtml(html, 'n0nce-for-test', 'vscode-webview://test');
      assert.match(renderedBody(browser, secured), /data-ready="1"/, `${command} did not render under the CSP`);
      const withoutNonce = secured.split(' nonce="n0nce-for-test"').join('');
      assert.doesNotMatch(renderedBody(browser, withoutNonce), /data-ready/, `${command}: the CSP was not enforced`);
    }
  });
});
