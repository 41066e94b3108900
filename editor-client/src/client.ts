/**
 * The vscode-languageclient side: one LanguageClient per server run.  LSP 3.18 inline completion
 * is a built-in feature of vscode-languageclient >= 10, so ghost text needs no code here.
 */
import type * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification, ExecuteCommandRequest, type FeatureState, LanguageClient,
  type LanguageClientOptions, type ServerOptions, State, type StaticFeature, TransportKind, WorkDoneProgress,
  WorkDoneProgressCreateRequest, type WorkDoneProgressBegin, type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import type { Disposable, StreamEvent } from './common/host';
import type { LaunchPlan, RunningServer } from './common/server';
import { configurationAnswer } from './common/settings';

export type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

export interface ClientHooks {
  outputChannel: vscode.LogOutputChannel;
  /** The server's settings object (client-only keys left out). */
  settings: () => Record<string, unknown>;
  onProgress: (value: ProgressValue) => void;
  /** The server died on its own (not through stop()). */
  onUnexpectedStop: () => void;
  /** vscode-languageclient restarted it after such a stop. */
  onRecovered: () => void;
}

/**
 * Sends the server's `$/progress` (model loading) to the status bar instead of a popup.  Registered
 * after the built-in progress feature, so its handler for window/workDoneProgress/create wins.
 */
class ProgressToStatusBar implements StaticFeature {
  constructor(private readonly client: LanguageClient, private readonly onProgress: (value: ProgressValue) => void) {}

  fillClientCapabilities(): void {}

  getState(): FeatureState {
    return { kind: 'static' };
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
      const subscription = this.client.onProgress(WorkDoneProgress.type, params.token, (value) => {
        this.onProgress(value);
        if (value.kind === 'end') {
          subscription.dispose();
        }
      });
    });
  }

  clear(): void {}
}

export async function startLanguageClient(plan: LaunchPlan, hooks: ClientHooks): Promise<RunningServer> {
  const serverOptions: ServerOptions = {
    command: plan.command,
    args: plan.args,
    options: { env: plan.env },
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    outputChannel: hooks.outputChannel,
    traceOutputChannel: hooks.outputChannel,
    initializationOptions: () => hooks.settings(),
    middleware: {
      workspace: {
        // The server asks for the "ghostls" section: answer with its settings, not the client's keys.
        configuration: async (params, token, next) => {
          const answers = configurationAnswer(params.items, hooks.settings);
          if (answers.every((a) => a !== undefined)) {
            return answers;
          }
          const fallback = await next(params, token);
          return Array.isArray(fallback) ? fallback.map((value, i) => answers[i] ?? value) : fallback;
        },
      },
    },
  };
  // 'ghostls' as the id makes vscode-languageclient honour the ghostls.trace.server setting.
  const client = new LanguageClient('ghostls', 'ghostls', serverOptions, clientOptions);
  client.registerFeature(new ProgressToStatusBar(client, hooks.onProgress));
  let stopping = false;
  let crashed = false;
  client.onDidChangeState((event) => {
    if (event.newState === State.Stopped && !stopping) {
      crashed = true;
      hooks.onUnexpectedStop();
    } else if (event.newState === State.Running && crashed) {
      crashed = false;
      hooks.onRecovered();
    }
  });
  await client.start();
  return {
    execute: (command: string, args: Record<string, unknown>) =>
      client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] }),
    onStream: (listener: (event: StreamEvent) => void): Disposable =>
      client.onNotification('ghostls/stream', (event: StreamEvent) => listener(event)),
    pushSettings: (settings: Record<string, unknown>) =>
      client.sendNotification(DidChangeConfigurationNotification.type, { settings }),
    stop: async () => {
      stopping = true;
      await client.stop(5000);
    },
  };
}
