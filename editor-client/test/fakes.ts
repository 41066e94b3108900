/**
 * In-memory stand-ins for VS Code (real VS Code cannot be downloaded in this build environment;
 * see test/README.md) and for the language client in command-wiring tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { TokenDecoration, TokenDecorations } from '../src/common/decorations';
import type { Disposable, EditorState, Host, PanelLike, ServerClient, StreamEvent } from '../src/common/host';

export class FakePanel implements PanelLike {
  readonly cspSource = 'vscode-webview://fake-origin';
  html = '';
  reveals = 0;
  private readonly disposeListeners: (() => void)[] = [];
  constructor(readonly viewType: string, readonly title: string) {}
  reveal(): void {
    this.reveals += 1;
  }
  onDidDispose(listener: () => void): Disposable {
    this.disposeListeners.push(listener);
    return { dispose: () => undefined };
  }
  close(): void {
    for (const listener of this.disposeListeners) listener();
  }
}

export class FakeHost implements Host {
  editor: EditorState | undefined;
  panels: FakePanel[] = [];
  painted: { uri: string; decorations: TokenDecorations }[] = [];
  attention: { uri: string; levels: TokenDecoration[][] }[] = [];
  previews: string[] = [];
  errors: { message: string; actions: string[] }[] = [];
  infos: { message: string; actions: string[] }[] = [];
  answer: string | undefined;
  inlineEnabled = true;
  logsShown = 0;

  activeEditor(): EditorState | undefined {
    return this.editor;
  }
  createPanel(viewType: string, title: string): PanelLike {
    const panel = new FakePanel(viewType, title);
    this.panels.push(panel);
    return panel;
  }
  paintTokens(uri: string, decorations: TokenDecorations): void {
    this.painted.push({ uri, decorations });
  }
  paintAttention(uri: string, levels: TokenDecoration[][]): void {
    this.attention.push({ uri, levels });
  }
  async openMarkdownPreview(uri: string): Promise<void> {
    this.previews.push(uri);
  }
  async showInformation(message: string, ...actions: string[]): Promise<string | undefined> {
    this.infos.push({ message, actions });
    return this.answer;
  }
  async showError(message: string, ...actions: string[]): Promise<string | undefined> {
    this.errors.push({ message, actions });
    return this.answer;
  }
  async toggleInlineSuggestions(): Promise<boolean> {
    this.inlineEnabled = !this.inlineEnabled;
    return this.inlineEnabled;
  }
  showLogs(): void {
    this.logsShown += 1;
  }
}

/** A language client that answers from a table and lets the test push `ghostls/stream` events. */
export class FakeClient implements ServerClient {
  calls: { command: string; args: Record<string, unknown> }[] = [];
  private readonly listeners = new Set<(event: StreamEvent) => void>();
  constructor(private readonly answer: (command: string, args: Record<string, unknown>,
    client: FakeClient) => Promise<unknown> | unknown) {}
  async execute(command: string, args: Record<string, unknown>): Promise<unknown> {
    this.calls.push({ command, args });
    return this.answer(command, args, this);
  }
  onStream(listener: (event: StreamEvent) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  stream(event: StreamEvent): void {
    for (const listener of this.listeners) listener(event);
  }
  get streamListeners(): number {
    return this.listeners.size;
  }
}

/** The extension's own directory (tests run from out/test). */
export const CLIENT_DIR = path.resolve(__dirname, '..', '..');
export const REPO_DIR = path.resolve(CLIENT_DIR, '..');

/** The repository's Python with ghostls installed, or undefined (tests then skip with a reason). */
export function repoPython(): string | undefined {
  const fromEnv = process.env['GHOSTLS_PYTHON'];
  if (fromEnv) return fromEnv;
  const venv = path.join(REPO_DIR, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  return existsSync(venv) ? venv : undefined;
}

export const NO_PYTHON = 'needs the repository .venv (or $GHOSTLS_PYTHON) with ghostls installed';

/** A real tiny model (random weights, BPE trained on stdlib code) from the repository's test support. */
export function buildTinyModel(python: string, dir: string): string {
  execFileSync(python, ['-c', 'import sys; from pathlib import Path; from tests.support.tiny_model ' +
    'import build_tiny_model; build_tiny_model(Path(sys.argv[1]))', dir], { cwd: REPO_DIR, stdio: 'ignore' });
  return dir;
}
