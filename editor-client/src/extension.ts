/** Activation: wires the testable logic in src/common to VS Code. */
import * as vscode from 'vscode';
import { startLanguageClient, type ProgressValue } from './client';
import { COMMANDS, Commands } from './common/commands';
import type { Logger } from './common/log';
import { checkGhostls } from './common/python';
import { ServerSupervisor } from './common/server';
import { contributedProperties, reactionTo, SECTION, serverSettingKeys, toServerSettings } from './common/settings';
import { type ServerState, stateAfterProgress, stateFromStatus, statusView } from './common/status';
import { ExplanationStore } from './common/views';
import { VsCodeHost } from './vscodeHost';

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
  resolveEnvironment(environment: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
}

interface PythonExtensionApi {
  environments?: PythonEnvironmentsApi;
}

async function pythonExtensionApi(): Promise<PythonExtensionApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (extension === undefined) {
    return undefined;
  }
  return extension.isActive ? extension.exports : extension.activate();
}

async function activeInterpreter(): Promise<string | undefined> {
  const environments = (await pythonExtensionApi())?.environments;
  if (environments === undefined) {
    return undefined;
  }
  const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
  const resolved = await environments.resolveEnvironment(environments.getActiveEnvironmentPath(resource));
  return resolved?.executable.uri?.fsPath;
}

let running: ServerSupervisor | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('ghostls', { log: true });
  const log: Logger = {
    info: (m) => output.info(m),
    warn: (m) => output.warn(m),
    error: (m) => output.error(m),
  };
  const host = new VsCodeHost(output);
  const serverKeys = serverSettingKeys(contributedProperties(context.extension.packageJSON));
  const config = () => vscode.workspace.getConfiguration(SECTION);
  const settings = () => toServerSettings(serverKeys, (key) => config().get(key));

  const statusItem = vscode.window.createStatusBarItem('ghostls.status', vscode.StatusBarAlignment.Right, 100);
  statusItem.name = 'ghostls';
  statusItem.command = 'ghostls.showStatus';
  let state: ServerState = { kind: 'starting' };
  const render = (next?: ServerState): void => {
    state = next ?? state;
    const view = statusView(state, config().get<boolean>('inline.enable', true));
    statusItem.text = view.text;
    statusItem.tooltip = view.tooltip;
    statusItem.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    statusItem.show();
  };
  render();

  let supervisor: ServerSupervisor; // declared first: refreshStatus and onProgress use it
  const refreshStatus = async (): Promise<void> => {
    try {
      render(stateFromStatus(await supervisor.client?.execute('ghostls.status', {})));
    } catch (error) {
      log.warn(`ghostls.status failed: ${String(error)}`);
    }
  };
  const onProgress = (value: ProgressValue): void => {
    const next = stateAfterProgress(state, value);
    if (next === undefined) {
      void refreshStatus();
    } else {
      render(next);
    }
  };
  supervisor = running = new ServerSupervisor({
    lookup: () => ({
      setting: config().get<string>('python', ''),
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      pythonExtension: activeInterpreter,
      pathEnv: process.env['PATH'],
    }),
    check: (python) => checkGhostls(python),
    start: (plan) => startLanguageClient(plan, {
      outputChannel: output,
      settings,
      onProgress,
      onUnexpectedStop: () => render({ kind: 'error', message: 'the server stopped; see the logs, then Restart Server' }),
      onRecovered: () => void refreshStatus(),
      explain: (args) => commands.explainServerCommand(args), // `commands` exists before any server starts
    }),
    onState: render,
    showError: (message, ...actions) => host.showError(message, ...actions),
    showLogs: () => host.showLogs(),
    log,
  });
  const restart = async (reason: string): Promise<void> => {
    if (await supervisor.restart(reason)) {
      await refreshStatus();
    }
  };

  const commands = new Commands({
    host,
    client: () => supervisor.client,
    restart: () => restart('Restart Server command'),
    onStatus: (status) => render(stateFromStatus(status)),
    log,
  });
  const changed = new vscode.EventEmitter<vscode.Uri>();
  commands.explanations.onDidChange((uri) => changed.fire(vscode.Uri.parse(uri)));
  context.subscriptions.push(
    output, host, statusItem, changed,
    vscode.workspace.registerTextDocumentContentProvider(ExplanationStore.scheme, {
      onDidChange: changed.event,
      provideTextDocumentContent: (uri) => commands.explanations.text(uri.toString()),
    }),
    ...Object.entries(commands.handlers()).map(([id, run]) => vscode.commands.registerCommand(id, run)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      const reaction = reactionTo((key) => event.affectsConfiguration(key), serverKeys);
      log.info(`Settings changed: ${reaction === 'restart' ? 'restarting the server' : reaction === 'push'
        ? 'sending the new settings to the server' : 'nothing for the server'}.`);
      if (reaction === 'restart') {
        void restart('ghostls.python changed');
      } else if (reaction === 'push') {
        void supervisor.client?.pushSettings(settings());
        render();
      }
    }),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.contentChanges.length > 0) host.clearDecorations(event.document.uri.toString());
    }),
  );
  log.info(`ghostls extension ${String(context.extension.packageJSON.version)}: ${COMMANDS.length} commands.`);

  const environments = (await pythonExtensionApi().catch(() => undefined))?.environments;
  if (environments !== undefined) {
    context.subscriptions.push(environments.onDidChangeActiveEnvironmentPath(() => {
      if (!config().get<string>('python', '')) {
        void restart("the Python extension's interpreter changed");
      }
    }));
  }
  void restart('activation');
}

/** VS Code waits for this promise: the server gets shutdown/exit instead of being killed. */
export function deactivate(): Promise<void> | undefined {
  return running?.stop();
}
