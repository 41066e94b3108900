/**
 * Webview HTML from the server's self-contained pages, under a strict Content-Security-Policy:
 * nothing loads from the network, and only the page's own <script>/<style> elements (given this
 * render's nonce) run.  Inline style attributes stay allowed (the views colour tokens with them);
 * inline event handlers and javascript: URLs do not run.
 */
import { randomBytes } from 'node:crypto';

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function contentSecurityPolicy(nonce: string, cspSource: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const REMOTE = /^\s*(?:https?:)?\/\//i;

/** The server's HTML with our CSP meta first in <head>, a nonce on every script and style element. */
export function secureHtml(html: string, nonce: string, cspSource: string): string {
  let page = html
    // Their own policy (if any) is replaced by ours, never merged.
    .replace(/<meta\b[^>]*http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>/gi, '')
    // Remote scripts and stylesheets: the CSP blocks them anyway; drop them so nothing even tries.
    .replace(/<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)["']?[^>]*>\s*<\/script>/gi,
      (tag: string, src: string) => (REMOTE.test(src) ? '' : tag))
    .replace(/<link\b[^>]*\bhref\s*=\s*["']?([^"'\s>]+)["']?[^>]*>/gi,
      (tag: string, href: string) => (REMOTE.test(href) ? '' : tag))
    .replace(/<(script|style)\b([^>]*)>/gi, (_tag: string, name: string, attrs: string) => {
      const cleaned = attrs.replace(/\snonce\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '');
      return `<${name} nonce="${nonce}"${cleaned}>`;
    });
  const meta = `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(nonce, cspSource)}">`;
  if (/<head\b[^>]*>/i.test(page)) {
    return page.replace(/<head\b[^>]*>/i, (head) => `${head}\n${meta}`);
  }
  if (/<html\b[^>]*>/i.test(page)) {
    return page.replace(/<html\b[^>]*>/i, (tag) => `${tag}\n<head>${meta}</head>`);
  }
  page = `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n${meta}\n</head>\n<body>\n${page}\n</body>\n</html>`;
  return page;
}

/** A plain page for results that carry no HTML (shown as preformatted text). */
export function textPage(title: string, text: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    '<style>body{font-family:var(--vscode-editor-font-family);white-space:pre-wrap;}</style></head>' +
    `<body><h3>${escapeHtml(title)}</h3><pre>${escapeHtml(text)}</pre></body></html>`;
}
