/** The Host interface over the real VS Code API: the only module besides extension.ts and client.ts that imports it. */
import * as vscode from 'vscode';
import type { Range, TokenDecorations } from './common/decorations';
import type { Disposable, EditorState, Host, PanelLike } from './common/host';
import { SECTION, toggleTarget } from './common/settings';

function toRange(range: Range): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

function fromRange(range: vscode.Range): Range {
  return {
    start: { line: range.start.line, character: range.start.character },
    end: { line: range.end.line, character: range.end.character },
  };
}

const TARGETS = {
  global: vscode.ConfigurationTarget.Global,
  workspace: vscode.ConfigurationTarget.Workspace,
  workspaceFolder: vscode.ConfigurationTarget.WorkspaceFolder,
} as const;

export class VsCodeHost implements Host, Disposable {
  private readonly tokenStyles = [
    vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor('editor.wordHighlightBackground'),
      borderRadius: '2px',
    }),
    vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor('editor.selectionHighlightBackground'),
      border: '1px solid',
      borderColor: new vscode.ThemeColor('editor.wordHighlightBorder'),
      borderRadius: '2px',
    }),
  ];

  constructor(private readonly output: vscode.LogOutputChannel) {}

  activeEditor(): EditorState | undefined {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined) {
      return undefined;
    }
    return {
      uri: editor.document.uri.toString(),
      languageId: editor.document.languageId,
      selection: fromRange(editor.selection),
      cursor: { line: editor.selection.active.line, character: editor.selection.active.character },
    };
  }

  createPanel(viewType: string, title: string): PanelLike {
    const panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Beside, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [],
      retainContextWhenHidden: false,
    });
    return {
      get cspSource() {
        return panel.webview.cspSource;
      },
      get html() {
        return panel.webview.html;
      },
      set html(value: string) {
        panel.webview.html = value;
      },
      reveal: () => panel.reveal(vscode.ViewColumn.Beside, true),
      onDidDispose: (listener) => panel.onDidDispose(listener),
    };
  }

  paintTokens(uri: string, decorations: TokenDecorations): void {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri);
    if (editor === undefined) {
      return;
    }
    const groups = [decorations.even, decorations.odd];
    this.tokenStyles.forEach((style, i) => {
      editor.setDecorations(style, (groups[i] ?? []).map((d) => ({
        range: toRange(d.range),
        hoverMessage: new vscode.MarkdownString().appendText(d.hover),
      })));
    });
  }

  clearTokens(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      for (const style of this.tokenStyles) editor.setDecorations(style, []);
    }
  }

  async openMarkdownPreview(uri: string): Promise<void> {
    await vscode.commands.executeCommand('markdown.showPreviewToSide', vscode.Uri.parse(uri));
  }

  showInformation(message: string, ...actions: string[]): Promise<string | undefined> {
    return Promise.resolve(vscode.window.showInformationMessage(message, ...actions));
  }

  showError(message: string, ...actions: string[]): Promise<string | undefined> {
    return Promise.resolve(vscode.window.showErrorMessage(message, ...actions));
  }

  async toggleInlineSuggestions(): Promise<boolean> {
    const config = vscode.workspace.getConfiguration(SECTION);
    const enabled = !config.get<boolean>('inline.enable', true);
    await config.update('inline.enable', enabled, TARGETS[toggleTarget(config.inspect<boolean>('inline.enable'))]);
    return enabled;
  }

  showLogs(): void {
    this.output.show(true);
  }

  dispose(): void {
    for (const style of this.tokenStyles) style.dispose();
  }
}
