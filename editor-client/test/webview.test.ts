/** Webview HTML under a strict Content-Security-Policy, and token decorations from token ranges. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attentionLineDecorations, tokenDecorations, tokenViewDecorations, type ServerToken } from '../src/common/decorations';
import { contentSecurityPolicy, makeNonce, secureHtml, textPage } from '../src/common/webview';

const SOURCE = 'vscode-webview://abc';

function policyOf(html: string): string {
  const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/gi)];
  assert.equal(metas.length, 1, 'exactly one CSP meta');
  return (metas[0] as RegExpMatchArray)[1] as string;
}

describe('secureHtml', () => {
  const page = '<!DOCTYPE html><html><head><meta charset="utf-8">' +
    '<meta http-equiv="content-security-policy" content="default-src *">' +
    '<style>.t{color:red}</style><script src="https://cdn.example.com/d3.js"></script>' +
    '<link rel="stylesheet" href="//fonts.example.com/a.css"></head>' +
    '<body><span class="t" style="background:#f00">tok</span><script nonce="old">draw()</script></body></html>';

  it('puts one strict policy first in <head>, replacing the page\'s own', () => {
    const html = secureHtml(page, 'N0NCE', SOURCE);
    const policy = policyOf(html);
    assert.equal(policy, contentSecurityPolicy('N0NCE', SOURCE));
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<style'), 'policy before any style or script');
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /script-src 'nonce-N0NCE'/);
    assert.match(policy, /style-src 'nonce-N0NCE'/);
    assert.doesNotMatch(policy, /https?:|\*|unsafe-eval|script-src[^;]*unsafe-inline/);
  });

  it('gives every script and style element this render\'s nonce, and drops remote loads', () => {
    const html = secureHtml(page, 'N0NCE', SOURCE);
    const tags = [...html.matchAll(/<(script|style)\b[^>]*>/gi)].map((m) => m[0]);
    assert.equal(tags.length, 2);
    for (const tag of tags) assert.match(tag, /^<(script|style) nonce="N0NCE">$/);
    assert.doesNotMatch(html, /cdn\.example\.com|fonts\.example\.com|nonce="old"/);
    assert.match(html, /style="background:#f00"/); // token colours stay
  });

  it('keeps local (non-remote) script sources and wraps fragments in a full document', () => {
    const local = secureHtml('<script src="vscode-resource:/x.js"></script>', 'N', SOURCE);
    assert.match(local, /<script nonce="N" src="vscode-resource:\/x\.js">/);
    const fragment = secureHtml('<table><tr><td>1</td></tr></table>', 'N', SOURCE);
    assert.match(fragment, /^<!DOCTYPE html>\n<html>\n<head>/);
    policyOf(fragment);
    const noHead = secureHtml('<html lang="en"><body>x</body></html>', 'N', SOURCE);
    assert.match(noHead, /<html lang="en">\n<head><meta http-equiv="Content-Security-Policy"/);
  });

  it('makes a fresh nonce for every render', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => makeNonce()));
    assert.equal(nonces.size, 50);
    for (const nonce of nonces) assert.match(nonce, /^[A-Za-z0-9_-]{24}$/);
  });

  it('escapes text shown without server HTML', () => {
    const html = textPage('Prompt <1>', '<script>alert(1)</script>');
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });
});

function token(id: number, line: number, start: number, end: number, extra: Partial<ServerToken> = {}): ServerToken {
  return { id, piece: `p${id}`, text: `t${id}`, range: { start: { line, character: start }, end: { line, character: end } },
    ...extra };
}

describe('tokenDecorations', () => {
  it('alternates styles token by token and skips specials and empty ranges', () => {
    const tokens = [
      token(1, 0, 0, 3), token(2, 0, 3, 4), token(3, 0, 4, 4), token(4, 0, 0, 0, { special: true, range: null }),
      token(5, 1, 0, 6),
    ];
    const { even, odd } = tokenDecorations(tokens);
    assert.deepEqual(even.map((d) => d.range.start.character), [0, 0]);
    assert.deepEqual(even.map((d) => d.range.start.line), [0, 1]);
    assert.deepEqual(odd.map((d) => [d.range.start.character, d.range.end.character]), [[3, 4]]);
    assert.equal(even[0]?.hover, 'token #1 "p1"');
  });

  it('merges byte-level tokens that split one character into one decoration', () => {
    // "é" as two byte tokens, both spanning the same character.
    const tokens = [token(10, 0, 0, 1), token(11, 0, 1, 2), token(12, 0, 1, 2), token(13, 0, 2, 3)];
    const { even, odd } = tokenDecorations(tokens);
    assert.equal(even.length + odd.length, 3);
    assert.equal(odd[0]?.hover, '2 tokens for these characters: #11 "p11", #12 "p12"');
    assert.deepEqual(even[1]?.range, { start: { line: 0, character: 2 }, end: { line: 0, character: 3 } });
  });
});

describe('tokenViewDecorations (the server groups tokens by the characters they cover)', () => {
  it('paints one decoration per group, naming every token of a split character', () => {
    const view = {
      tokens: [{ id: 5, piece: 'x' }, { id: 200, piece: 'Ã' }, { id: 201, piece: '©' }, { id: 0, piece: '<s>', special: true }],
      groups: [
        { tokens: [0], range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } },
        { tokens: [1, 2], range: { start: { line: 0, character: 1 }, end: { line: 0, character: 2 } } },
        { tokens: [3], range: null },
      ],
    };
    const { even, odd } = tokenViewDecorations(view);
    assert.deepEqual(even.map((d) => d.hover), ['token #5 "x"']);
    assert.deepEqual(odd.map((d) => d.hover), ['2 tokens for these characters: #200 "Ã", #201 "©"']);
  });
});

describe('attentionLineDecorations', () => {
  it('buckets lines by their share of the heaviest line and skips lines with no mass', () => {
    const levels = attentionLineDecorations([{ line: 0, mass: 1 }, { line: 1, mass: 0.5 }, { line: 2, mass: 0.05 },
      { line: 3, mass: 0 }], 4);
    assert.deepEqual(levels.map((l) => l.map((d) => d.range.start.line)), [[2], [], [1], [0]]);
    assert.deepEqual(attentionLineDecorations([], 3), [[], [], []]);
  });
});
