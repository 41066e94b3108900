/**
 * The vscode-languageclient side: one LanguageClient per server run.  LSP 3.18 inline completion
 * is a built-in feature of vscode-languageclient >= 10; the middleware here only keeps automatic
 * suggestions away from selected text and sends the light bulb's Explain to the Explain preview.
 */
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification, ExecuteCommandRequest, type FeatureState, LanguageClient,
  type LanguageClientOptions, type ServerOptions, State, type StaticFeature, TransportKind, WorkDoneProgress,
  WorkDoneProgressCreateRequest, type WorkDoneProgressBegin, type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import { EXPLAIN_SERVER_COMMAND } from './common/commands';
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
  /** The server command `ghostls.explain` run as a VS Code command (the light bulb's Explain). */
  explain: (args: unknown[]) => Promise<unknown>;
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

/**
 * Whether `document`'s editor has text selected.  Inline completion is asked for in the focused
 * editor, so the active one; any of its selections counts (multiple cursors).
 */
function hasSelectedText(document: vscode.TextDocument): boolean {
  const editor = vscode.window.activeTextEditor;
  return editor !== undefined && editor.document.uri.toString() === document.uri.toString() &&
    editor.selections.some((selection) => !selection.isEmpty);
}

export function clientOptions(hooks: ClientHooks): LanguageClientOptions {
  return {
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
      // A suggestion while typing would cover selected text, which the next keystroke replaces:
      // none is asked for (middleware cannot add the selection to LSP's params, so the check is
      // here, not in the server).  Invoked ones still go.
      provideInlineCompletionItems: (document, position, context, token, next) => {
        if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic && hasSelectedText(document)) {
          hooks.outputChannel.trace('inline completion skipped: text is selected');
          return [];
        }
        return next(document, position, context, token);
      },
      // VS Code drops the result of a code action's command: the Explain preview shows it instead.
      executeCommand: (command, args, next) =>
        command === EXPLAIN_SERVER_COMMAND ? hooks.explain(args) : next(command, args),
    },
  };
}

export async function startLanguageClient(plan: LaunchPlan, hooks: ClientHooks): Promise<RunningServer> {
  const serverOptions: ServerOptions = {
    command: plan.command,
    args: plan.args,
    options: { env: plan.env },
    transport: TransportKind.stdio,
  };
  // 'ghostls' as the id makes vscode-languageclient honour the ghostls.trace.server setting.
  const client = new LanguageClient('ghostls', 'ghostls', serverOptions, clientOptions(hooks));
  client.registerFeature(new ProgressToStatusBar(client, hooks.onProgress));
  // vscode-languageclient keeps one handler per notification method (another onNotification
  // replaces it, disposing either removes it): one handler, so explanations streaming at once
  // (the palette's and the light bulb's) each get their events.
  const streamListeners = new Set<(event: StreamEvent) => void>();
  client.onNotification('ghostls/stream', (event: StreamEvent) => {
    for (const listener of [...streamListeners]) listener(event);
  });
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
    onStream: (listener: (event: StreamEvent) => void): Disposable => {
      streamListeners.add(listener);
      return { dispose: () => streamListeners.delete(listener) };
    },
    pushSettings: (settings: Record<string, unknown>) =>
      client.sendNotification(DidChangeConfigurationNotification.type, { settings }),
    stop: async () => {
      stopping = true;
      await client.stop(5000);
    },
  };
}
