/**
 * An in-memory `vscode` module: just enough of the API for the extension and vscode-languageclient
 * to activate and run against a real ghostls server in Node.  Real VS Code cannot be downloaded in
 * this build environment (see test/README.md); this is the stand-in, and it records what the
 * extension showed so the tests can check it.
 */
import Module from 'node:module';
import * as path from 'node:path';

type Listener<T> = (value: T) => void;

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  constructor(private readonly fn: () => unknown) {}
  dispose(): void {
    this.fn();
  }
}

class Uri {
  private constructor(readonly scheme: string, readonly path: string, readonly raw: string) {}
  static parse(value: string): Uri {
    const scheme = value.slice(0, value.indexOf(':'));
    return new Uri(scheme, value.slice(scheme.length + 1).replace(/^\/\/[^/]*/, ''), value);
  }
  static file(fsPath: string): Uri {
    return new Uri('file', fsPath, `file://${fsPath}`);
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return this.raw;
  }
  with(): Uri {
    return this;
  }
}

class Position {
  constructor(readonly line: number, readonly character: number) {}
}

class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: number | Position, b: number | Position, c?: number, d?: number) {
    this.start = typeof a === 'number' ? new Position(a, b as number) : a;
    this.end = typeof a === 'number' ? new Position(c as number, d as number) : (b as Position);
  }
  get isEmpty(): boolean {
    return this.start.line === this.end.line && this.start.character === this.end.character;
  }
}

/** A text document as vscode-languageclient reads it (didOpen, request params). */
export interface FakeDocument {
  uri: Uri;
  languageId: string;
  version: number;
  isClosed: boolean;
  getText(): string;
}

interface DocumentFilter {
  scheme?: string;
  language?: string;
}

class CodeActionKind {
  static readonly Empty = new CodeActionKind('');
  constructor(readonly value: string) {}
  append(part: string): CodeActionKind {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
  contains(other: CodeActionKind): boolean {
    return this.value === other.value || other.value.startsWith(`${this.value}.`);
  }
  intersects(other: CodeActionKind): boolean {
    return this.contains(other) || other.contains(this);
  }
  static readonly QuickFix = CodeActionKind.Empty.append('quickfix');
  static readonly Refactor = CodeActionKind.Empty.append('refactor');
  static readonly RefactorExtract = CodeActionKind.Refactor.append('extract');
  static readonly RefactorInline = CodeActionKind.Refactor.append('inline');
  static readonly RefactorMove = CodeActionKind.Refactor.append('move');
  static readonly RefactorRewrite = CodeActionKind.Refactor.append('rewrite');
  static readonly Source = CodeActionKind.Empty.append('source');
  static readonly SourceOrganizeImports = CodeActionKind.Source.append('organizeImports');
  static readonly SourceFixAll = CodeActionKind.Source.append('fixAll');
  static readonly Notebook = CodeActionKind.Empty.append('notebook');
}

class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {}
}

export interface FakeStatusItem {
  text: string;
  tooltip: string;
  command: string | undefined;
  texts: string[];
}

export interface FakeVscode {
  api: Record<string, unknown>;
  commands: Map<string, (...args: unknown[]) => unknown>;
  /** Every vscode.commands.executeCommand call, registered or not (e.g. markdown.showPreviewToSide). */
  executed: { id: string; args: unknown[] }[];
  /** What the extension and vscode-languageclient registered through languages.register*Provider. */
  providers: Map<string, unknown[][]>;
  /** registerTextDocumentContentProvider, by scheme. */
  contentProviders: Map<string, { provideTextDocumentContent(uri: unknown): string }>;
  config: Map<string, unknown>;
  messages: { level: string; message: string }[];
  log: string[];
  statusItems: FakeStatusItem[];
  /** Resolves once the status text matches. */
  statusMatching(pattern: RegExp): Promise<string>;
  /** A document in workspace.textDocuments (vscode-languageclient opens it in the server on start). */
  addDocument(uri: string, languageId: string, text: string): FakeDocument;
  /** The active editor: `document` with these selections ([line, character, line, character] each). */
  setActiveEditor(document: FakeDocument | undefined, ...selections: [number, number, number, number][]): void;
  /** A vscode.Position and a vscode.Range (for provider arguments). */
  position(line: number, character: number): unknown;
  range(startLine: number, startCharacter: number, endLine: number, endCharacter: number): unknown;
  install(): () => void;
}

export function createFakeVscode(settings: Record<string, unknown>): FakeVscode {
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const executed: { id: string; args: unknown[] }[] = [];
  const providers = new Map<string, unknown[][]>();
  const contentProviders = new Map<string, { provideTextDocumentContent(uri: unknown): string }>();
  const textDocuments: FakeDocument[] = [];
  const config = new Map<string, unknown>(Object.entries(settings));
  const messages: { level: string; message: string }[] = [];
  const log: string[] = [];
  const statusItems: FakeStatusItem[] = [];
  const statusWaiters: { pattern: RegExp; resolve: (text: string) => void }[] = [];
  const configChanged = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();
  const noEvent = (): Disposable => new Disposable(() => undefined);

  const getConfiguration = (section?: string) => {
    const full = (key: string) => (section ? `${section}.${key}` : key);
    return {
      get: <T>(key: string, fallback?: T): T | undefined => (config.has(full(key)) ? config.get(full(key)) as T : fallback),
      has: (key: string) => config.has(full(key)),
      inspect: (key: string) => ({ key: full(key), globalValue: config.get(full(key)) }),
      update: async (key: string, value: unknown) => {
        const changed = full(key);
        config.set(changed, value);
        configChanged.fire({ affectsConfiguration: (s: string) => changed === s || changed.startsWith(`${s}.`) });
      },
    };
  };

  const outputChannel = (name: string) => {
    const write = (level: string) => (message: string, ...rest: unknown[]) => log.push(`${name} ${level}: ${message}` +
      rest.map((r) => (r instanceof Error ? `\n${r.stack ?? r.message}` : '')).join(''));
    return {
      name, logLevel: 2, onDidChangeLogLevel: noEvent,
      trace: write('trace'), debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'),
      append: write('append'), appendLine: write('line'), replace: write('replace'),
      clear: () => undefined, show: () => undefined, hide: () => undefined, dispose: () => undefined,
    };
  };

  const show = (level: string) => async (message: string) => {
    messages.push({ level, message });
    return undefined;
  };

  const api: Record<string, unknown> = {
    __esModule: true, // so tsc's __importStar hands out the proxy below, not a copy of its own keys
    version: '1.91.0',
    EventEmitter, Disposable, Uri, Position, Range, Selection: Range, CancellationTokenSource, CodeActionKind,
    InlineCompletionTriggerKind: { Invoke: 0, Automatic: 1 },
    CancellationError: class CancellationError extends Error {},
    CodeAction: class CodeAction { constructor(public title: string, public kind?: CodeActionKind) {} },
    ThemeColor: class ThemeColor { constructor(readonly id: string) {} },
    MarkdownString: class MarkdownString { value = ''; appendText(t: string) { this.value += t; return this; } },
    TabInputText: class {}, TabInputTextDiff: class {}, TabInputNotebook: class {}, TabInputCustom: class {},
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { Active: -1, Beside: -2, One: 1 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    OverviewRulerLane: { Left: 1, Center: 2, Right: 4, Full: 7 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
    env: { language: 'en', appName: 'Visual Studio Code (fake)', machineId: 'test', openExternal: async () => true },
    window: {
      createOutputChannel: outputChannel,
      createStatusBarItem: () => {
        let text = '';
        const item: FakeStatusItem & Record<string, unknown> = {
          get text() { return text; },
          set text(value: string) {
            text = value;
            item.texts.push(value);
            for (const waiter of [...statusWaiters]) {
              if (waiter.pattern.test(value)) {
                statusWaiters.splice(statusWaiters.indexOf(waiter), 1);
                waiter.resolve(value);
              }
            }
          },
          tooltip: '', command: undefined, texts: [], show: () => undefined, hide: () => undefined,
          dispose: () => undefined,
        };
        statusItems.push(item);
        return item;
      },
      createTextEditorDecorationType: () => ({ key: 'decoration', dispose: () => undefined }),
      showInformationMessage: show('info'), showWarningMessage: show('warning'), showErrorMessage: show('error'),
      withProgress: async (_options: unknown, task: (p: unknown, t: unknown) => unknown) =>
        task({ report: () => undefined }, new CancellationTokenSource().token),
      activeTextEditor: undefined, visibleTextEditors: [],
      onDidChangeVisibleTextEditors: noEvent, onDidChangeActiveTextEditor: noEvent,
      tabGroups: { all: [], onDidChangeTabs: noEvent, onDidChangeTabGroups: noEvent },
      showTextDocument: async () => undefined,
    },
    workspace: {
      getConfiguration, textDocuments, notebookDocuments: [], workspaceFolders: undefined,
      onDidChangeConfiguration: configChanged.event,
      onDidOpenTextDocument: noEvent, onDidCloseTextDocument: noEvent, onDidChangeTextDocument: noEvent,
      onDidSaveTextDocument: noEvent, onWillSaveTextDocument: noEvent, onDidChangeWorkspaceFolders: noEvent,
      onDidOpenNotebookDocument: noEvent, onDidCloseNotebookDocument: noEvent, onDidChangeNotebookDocument: noEvent,
      onDidSaveNotebookDocument: noEvent,
      createFileSystemWatcher: () => ({ onDidCreate: noEvent, onDidChange: noEvent, onDidDelete: noEvent,
        dispose: () => undefined }),
      registerTextDocumentContentProvider: (scheme: string, provider: { provideTextDocumentContent(uri: unknown): string }) => {
        contentProviders.set(scheme, provider);
        return new Disposable(() => contentProviders.delete(scheme));
      },
      applyEdit: async () => true,
    },
    languages: new Proxy({
      match: (selector: DocumentFilter | string | (DocumentFilter | string)[], document: FakeDocument) =>
        ([] as (DocumentFilter | string)[]).concat(selector).some((f) => (typeof f === 'string'
          ? f === document.languageId
          : (!f.scheme || f.scheme === document.uri.scheme) && (!f.language || f.language === document.languageId)))
          ? 10 : 0,
      createDiagnosticCollection: () => ({ set: () => undefined, delete: () => undefined, clear: () => undefined,
        forEach: () => undefined, get: () => undefined, has: () => false, dispose: () => undefined }),
    } as Record<string, unknown>, {
      // Every languages.register*Provider: recorded, so a test can ask it as the editor would.
      get: (target, name: string) => target[name] ?? ((...args: unknown[]) => {
        providers.set(name, [...providers.get(name) ?? [], args]);
        return new Disposable(() => undefined);
      }),
    }),
    commands: {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
        if (commands.has(id)) throw new Error(`command '${id}' already exists`); // as VS Code does
        commands.set(id, fn);
        return new Disposable(() => commands.delete(id));
      },
      executeCommand: async (id: string, ...args: unknown[]) => {
        executed.push({ id, args });
        return commands.get(id)?.(...args);
      },
    },
    extensions: { getExtension: () => undefined },
  };

  // Classes and enums the extension never touches but vscode-languageclient extends or reads
  // (CompletionItem, CodeAction, DiagnosticSeverity...): a plain class each.
  const generic = new Map<string, unknown>();
  const root = new Proxy(api, {
    get: (target, name) => {
      if (typeof name !== 'string' || name in target || !/^[A-Z]/.test(name)) return target[name as string];
      if (!generic.has(name)) generic.set(name, class { constructor(...args: unknown[]) { Object.assign(this, { args }); } });
      return generic.get(name);
    },
  });

  return {
    api: root, commands, executed, providers, contentProviders, config, messages, log, statusItems,
    addDocument: (uri, languageId, text) => {
      const document = { uri: Uri.parse(uri), languageId, version: 1, isClosed: false, getText: () => text };
      textDocuments.push(document);
      return document;
    },
    setActiveEditor: (document, ...selections) => {
      const ranges = selections.map(([a, b, c, d]) => new Range(a, b, c, d));
      (api['window'] as Record<string, unknown>)['activeTextEditor'] = document === undefined ? undefined
        : { document, selection: ranges[0] ?? new Range(0, 0, 0, 0), selections: ranges };
    },
    position: (line, character) => new Position(line, character),
    range: (a, b, c, d) => new Range(a, b, c, d),
    statusMatching: (pattern) => {
      const current = statusItems[0]?.text ?? '';
      if (pattern.test(current)) return Promise.resolve(current);
      return new Promise((resolve) => statusWaiters.push({ pattern, resolve }));
    },
    install: () => {
      const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
      const original = loader._load;
      loader._load = (request: string, ...rest: unknown[]) => (request === 'vscode' ? root : original(request, ...rest));
      return () => { loader._load = original; };
    },
  };
}

export const EXTENSION_MAIN = path.resolve(__dirname, '..', 'src', 'extension.js');
export const CLIENT_MAIN = path.resolve(__dirname, '..', 'src', 'client.js');
