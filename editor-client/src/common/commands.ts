/**
 * The palette commands.  Each calls one server command through `workspace/executeCommand` and
 * shows its result: Markdown (streamed) for explanations, CSP-locked webviews for the views.
 * The light bulb's Explain shows its answer in the same preview (see explainServerCommand).
 *
 * Client command ids differ from the server's (`ghostls.showAttention` is a server command):
 * vscode-languageclient registers every server command as a VS Code command of the same id.
 */
import { attentionLineDecorations, type LineWeight, tokenViewDecorations } from './decorations';
import type { Disposable, EditorState, Host, ServerClient } from './host';
import { errorMessage, type Logger } from './log';
import { ExplanationStore, ViewPanels } from './views';
import { textPage } from './webview';

export interface CommandInfo {
  id: string;
  title: string;
  /** The server command it runs, if any. */
  server?: string;
}

/** The server command behind Explain Selection and the light bulb's Explain. */
export const EXPLAIN_SERVER_COMMAND = 'ghostls.explain';
const EXPLAIN_TITLE = 'Explain';

export const COMMANDS: CommandInfo[] = [
  { id: 'ghostls.explainSelection', title: 'Explain Selection', server: EXPLAIN_SERVER_COMMAND },
  { id: 'ghostls.showTokenization', title: 'Show Tokenization', server: 'ghostls.showTokens' },
  { id: 'ghostls.showAttentionView', title: 'Show Attention', server: 'ghostls.showAttention' },
  { id: 'ghostls.showPromptView', title: 'Show Prompt', server: 'ghostls.showPrompt' },
  { id: 'ghostls.showPositionalEncodings', title: 'Show Positional Encodings', server: 'ghostls.showPositions' },
  { id: 'ghostls.toggleInlineSuggestions', title: 'Toggle Inline Suggestions' },
  { id: 'ghostls.restartServer', title: 'Restart Server' },
  { id: 'ghostls.showLogs', title: 'Show Logs' },
  { id: 'ghostls.showStatus', title: 'Show Status', server: 'ghostls.status' },
];

export const SHOW_LOGS = 'Show Logs';

export interface CommandContext {
  host: Host;
  /** The running client, or undefined while the server is down. */
  client: () => ServerClient | undefined;
  restart: () => Promise<void>;
  onStatus?: (status: unknown) => void;
  log: Logger;
}

type Handler = () => Promise<void>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasSelection(editor: EditorState): boolean {
  const { start, end } = editor.selection;
  return start.line !== end.line || start.character !== end.character;
}

/** `{uri, range}` with the selection; without a selection the server takes the whole document. */
function selectionArgs(editor: EditorState): Record<string, unknown> {
  return hasSelection(editor) ? { uri: editor.uri, range: editor.selection } : { uri: editor.uri };
}

function htmlOf(result: unknown, title: string): string {
  if (isRecord(result) && typeof result['html'] === 'string' && result['html']) {
    return result['html'];
  }
  if (isRecord(result) && typeof result['text'] === 'string') {
    return textPage(title, result['text']);
  }
  return textPage(title, JSON.stringify(result, null, 2));
}

export function statusSummary(status: unknown): string {
  if (!isRecord(status)) {
    return 'ghostls: no status';
  }
  const provider = isRecord(status['provider']) ? status['provider'] : {};
  const parts = [`ghostls ${String(status['version'] ?? '?')}`,
    `${String(provider['provider'] ?? 'provider ?')} ${String(provider['model'] ?? '')}`.trim(),
    `state: ${String(provider['state'] ?? '?')}`];
  if (provider['device']) parts.push(`device: ${String(provider['device'])}`);
  if (provider['error']) parts.push(`error: ${String(provider['error'])}`);
  return parts.join(' | ');
}

export class Commands {
  readonly panels: ViewPanels;
  readonly explanations = new ExplanationStore();
  private streamCounter = 0;

  constructor(private readonly ctx: CommandContext, panels?: ViewPanels) {
    this.panels = panels ?? new ViewPanels(ctx.host);
  }

  /** Every palette command by id, each wrapped so a failure becomes one clear message. */
  handlers(): Record<string, Handler> {
    const table: Record<string, Handler> = {
      'ghostls.explainSelection': () => this.explain(),
      'ghostls.showTokenization': () => this.showTokens(),
      'ghostls.showAttentionView': () => this.showAttention(),
      'ghostls.showPromptView': () => this.showPrompt(),
      'ghostls.showPositionalEncodings': () => this.showPositions(),
      'ghostls.toggleInlineSuggestions': () => this.toggleInline(),
      'ghostls.restartServer': () => this.ctx.restart(),
      'ghostls.showLogs': async () => this.ctx.host.showLogs(),
      'ghostls.showStatus': () => this.showStatus(),
    };
    const wrapped: Record<string, Handler> = {};
    for (const info of COMMANDS) {
      const run = table[info.id];
      if (run === undefined) {
        throw new Error(`no handler for ${info.id}`);
      }
      wrapped[info.id] = async () => {
        try {
          await run();
        } catch (error) {
          await this.fail(info.title, error);
        }
      };
    }
    return wrapped;
  }

  private async fail(title: string, error: unknown): Promise<void> {
    const message = `ghostls: ${title} failed: ${errorMessage(error)}`;
    this.ctx.log.error(message);
    const choice = await this.ctx.host.showError(message, SHOW_LOGS);
    if (choice === SHOW_LOGS) {
      this.ctx.host.showLogs();
    }
  }

  private client(): ServerClient {
    const client = this.ctx.client();
    if (client === undefined) {
      throw new Error('the server is not running (run "ghostls: Restart Server")');
    }
    return client;
  }

  private editor(): EditorState {
    const editor = this.ctx.host.activeEditor();
    if (editor === undefined) {
      throw new Error('open a file first');
    }
    return editor;
  }

  private async run(command: string, args: Record<string, unknown>): Promise<unknown> {
    this.ctx.log.info(`executeCommand ${command}`);
    return this.client().execute(command, args);
  }

  async explain(): Promise<void> {
    await this.explainTarget(selectionArgs(this.editor()));
  }

  /**
   * The light bulb's Explain: its code action carries the server command `ghostls.explain` with
   * `[{uri, range}]`, which VS Code runs through vscode-languageclient and whose result it drops.
   * The client's middleware routes it here, to the preview Explain Selection uses; the result is
   * still returned to whoever ran the command.  A failure is shown here (VS Code would only say
   * the code action failed).
   */
  async explainServerCommand(args: unknown[]): Promise<unknown> {
    try {
      const target = args[0];
      if (!isRecord(target) || typeof target['uri'] !== 'string') {
        throw new Error(`ghostls.explain needs {uri, range}, not ${JSON.stringify(target)}`);
      }
      return await this.explainTarget(target);
    } catch (error) {
      await this.fail(EXPLAIN_TITLE, error);
      return undefined;
    }
  }

  /** Runs ghostls.explain on `target` and streams the answer into a Markdown preview. */
  private async explainTarget(target: Record<string, unknown>): Promise<unknown> {
    const client = this.client();
    this.streamCounter += 1;
    const ownId = typeof target['streamId'] === 'string' ? target['streamId'] : undefined;
    const streamId = ownId ?? `explain-${Date.now().toString(36)}-${this.streamCounter}`;
    const doc = this.explanations.create();
    doc.update('# Explanation\n\n_Generating…_\n');
    const subscription: Disposable = client.onStream((event) => {
      if (event.streamId === streamId) {
        doc.update(`# Explanation\n\n${event.text}${event.done ? '' : ' …'}\n`);
      }
    });
    try {
      await this.ctx.host.openMarkdownPreview(doc.uri);
      const result = await this.run(EXPLAIN_SERVER_COMMAND, { ...target, streamId });
      const markdown = isRecord(result) && typeof result['markdown'] === 'string' ? result['markdown'] : '';
      doc.update(markdown || '_The server returned no explanation._');
      return result;
    } catch (error) {
      doc.update(`# Explanation\n\nFailed: ${errorMessage(error)}\n`);
      throw error;
    } finally {
      subscription.dispose();
    }
  }

  async showTokens(): Promise<void> {
    const editor = this.editor();
    const result = await this.run('ghostls.showTokens', selectionArgs(editor));
    this.ctx.host.paintTokens(editor.uri, tokenViewDecorations(isRecord(result) ? result : {}));
    this.panels.show('ghostls.tokens', 'ghostls: Tokens', htmlOf(result, 'Tokens'));
  }

  /** The attention view, and the key weights painted on the lines of the selection. */
  async showAttention(): Promise<void> {
    const editor = this.editor();
    const result = await this.run('ghostls.showAttention', selectionArgs(editor));
    const lines = isRecord(result) && Array.isArray(result['lines']) ? (result['lines'] as LineWeight[]) : [];
    this.ctx.host.paintAttention(editor.uri, attentionLineDecorations(lines));
    this.panels.show('ghostls.attention', 'ghostls: Attention', htmlOf(result, 'Attention'));
  }

  async showPrompt(): Promise<void> {
    const editor = this.editor();
    const result = await this.run('ghostls.showPrompt', { uri: editor.uri, position: editor.cursor });
    this.panels.show('ghostls.prompt', 'ghostls: Prompt', htmlOf(result, 'Prompt'));
  }

  async showPositions(): Promise<void> {
    const editor = this.ctx.host.activeEditor();
    const result = await this.run('ghostls.showPositions', editor ? { uri: editor.uri } : {});
    this.panels.show('ghostls.positions', 'ghostls: Positional Encodings', htmlOf(result, 'Positional Encodings'));
  }

  async toggleInline(): Promise<void> {
    const enabled = await this.ctx.host.toggleInlineSuggestions();
    this.ctx.log.info(`inline suggestions ${enabled ? 'on' : 'off'}`);
    void this.ctx.host.showInformation(`ghostls: inline suggestions ${enabled ? 'on' : 'off'}`);
  }

  async showStatus(): Promise<void> {
    const status = await this.run('ghostls.status', {});
    this.ctx.onStatus?.(status);
    const choice = await this.ctx.host.showInformation(statusSummary(status), SHOW_LOGS);
    if (choice === SHOW_LOGS) {
      this.ctx.host.showLogs();
    }
  }
}
