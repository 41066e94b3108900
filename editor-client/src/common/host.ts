/**
 * The slice of the VS Code API the extension's logic uses.  src/vscodeHost.ts implements it over
 * the real `vscode` module; the tests implement it in memory, because real VS Code cannot be
 * downloaded in this project's build environment (see test/README.md).
 */
import type { Position, Range, TokenDecoration, TokenDecorations } from './decorations';

export interface Disposable {
  dispose(): void;
}

export interface EditorState {
  uri: string;
  languageId: string;
  selection: Range;
  cursor: Position;
}

/** One webview panel: the host gives each a CSP source (`webview.cspSource`). */
export interface PanelLike {
  readonly cspSource: string;
  html: string;
  reveal(): void;
  onDidDispose(listener: () => void): Disposable;
}

export interface Host {
  activeEditor(): EditorState | undefined;
  createPanel(viewType: string, title: string): PanelLike;
  paintTokens(uri: string, decorations: TokenDecorations): void;
  /** Whole-line decorations, one list per intensity level (lightest first). */
  paintAttention(uri: string, levels: TokenDecoration[][]): void;
  /** Opens the Markdown preview of a virtual document (see ExplanationStore). */
  openMarkdownPreview(uri: string): Promise<void>;
  showInformation(message: string, ...actions: string[]): Promise<string | undefined>;
  showError(message: string, ...actions: string[]): Promise<string | undefined>;
  /** Flips `ghostls.inline.enable` where it is set; returns the new value. */
  toggleInlineSuggestions(): Promise<boolean>;
  showLogs(): void;
}

export interface StreamEvent {
  streamId: string;
  text: string;
  done: boolean;
}

/** The running language client as the commands see it. */
export interface ServerClient {
  execute(command: string, args: Record<string, unknown>): Promise<unknown>;
  onStream(listener: (event: StreamEvent) => void): Disposable;
}
