/** Result views: one webview panel per kind, reused, always rendered under our CSP. */
import type { Host, PanelLike } from './host';
import { makeNonce, secureHtml } from './webview';

export class ViewPanels {
  private readonly panels = new Map<string, PanelLike>();

  constructor(private readonly host: Pick<Host, 'createPanel'>, private readonly nonce: () => string = makeNonce) {}

  show(viewType: string, title: string, html: string): PanelLike {
    let panel = this.panels.get(viewType);
    if (panel === undefined) {
      const created = this.host.createPanel(viewType, title);
      created.onDidDispose(() => this.panels.delete(viewType));
      this.panels.set(viewType, created);
      panel = created;
    }
    panel.html = secureHtml(html, this.nonce(), panel.cspSource);
    panel.reveal();
    return panel;
  }
}

/** Explanations as virtual Markdown documents that grow while the server streams them. */
export class ExplanationStore {
  static readonly scheme = 'ghostls-explain';
  private readonly texts = new Map<string, string>();
  private readonly listeners = new Set<(uri: string) => void>();
  private counter = 0;

  create(): { uri: string; update(markdown: string): void } {
    this.counter += 1;
    const uri = `${ExplanationStore.scheme}:/explanation-${this.counter}.md`;
    const update = (markdown: string): void => {
      this.texts.set(uri, markdown);
      for (const listener of this.listeners) {
        listener(uri);
      }
    };
    this.texts.set(uri, '');
    return { uri, update };
  }

  text(uri: string): string {
    return this.texts.get(uri) ?? '';
  }

  onDidChange(listener: (uri: string) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}
