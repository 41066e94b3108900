/** The Host interface over the real VS Code API: the only module besides extension.ts and client.ts that imports it. */
import * as vscode from 'vscode';
import type { Range, TokenDecoration, TokenDecorations } from './common/decorations';
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

  /** Attention mass per line: five levels of one warm colour, lightest first. */
  private readonly attentionStyles = [0.08, 0.16, 0.24, 0.32, 0.42].map((alpha) =>
    vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: `rgba(255, 140, 0, ${alpha})`,
      overviewRulerColor: `rgba(255, 140, 0, ${Math.min(1, alpha * 2)})`,
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    }));

  constructor(private readonly output: vscode.LogOutputChannel) {}

  private editorFor(uri: string): vscode.TextEditor | undefined {
    return vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri);
  }

  private paint(editor: vscode.TextEditor, styles: vscode.TextEditorDecorationType[], groups: TokenDecoration[][]): void {
    styles.forEach((style, i) => {
      editor.setDecorations(style, (groups[i] ?? []).map((d) => ({
        range: toRange(d.range),
        hoverMessage: new vscode.MarkdownString().appendText(d.hover),
      })));
    });
  }

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
    const editor = this.editorFor(uri);
    if (editor !== undefined) {
      this.paint(editor, this.tokenStyles, [decorations.even, decorations.odd]);
    }
  }

  paintAttention(uri: string, levels: TokenDecoration[][]): void {
    const editor = this.editorFor(uri);
    if (editor !== undefined) {
      this.paint(editor, this.attentionStyles, levels);
    }
  }

  /** Decorations describe one version of the text: an edit clears them. */
  clearDecorations(uri: string): void {
    const editor = this.editorFor(uri);
    if (editor !== undefined) {
      for (const style of [...this.tokenStyles, ...this.attentionStyles]) editor.setDecorations(style, []);
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
    for (const style of [...this.tokenStyles, ...this.attentionStyles]) style.dispose();
  }
}
