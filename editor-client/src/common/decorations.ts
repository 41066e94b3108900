/**
 * Token boundaries painted on the selection: one decoration per token, alternating two styles so
 * neighbours are told apart.  Tokens that split one character (byte-level BPE on multi-byte
 * characters) share a range; they become one decoration whose hover lists them all.
 */

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface ServerToken {
  id: number;
  piece?: string;
  text?: string;
  range?: Range | null;
  special?: boolean;
  bytes?: unknown;
}

export interface TokenDecoration {
  range: Range;
  hover: string;
}

export interface TokenDecorations {
  even: TokenDecoration[];
  odd: TokenDecoration[];
}

function isEmpty(range: Range): boolean {
  return range.start.line === range.end.line && range.start.character === range.end.character;
}

function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character &&
    a.end.line === b.end.line && a.end.character === b.end.character;
}

function describe(token: ServerToken): string {
  return `#${token.id} ${JSON.stringify(token.piece ?? token.text ?? '')}`;
}

export function tokenDecorations(tokens: ServerToken[]): TokenDecorations {
  const groups: { range: Range; tokens: ServerToken[] }[] = [];
  for (const token of tokens) {
    const range = token.range;
    if (token.special || !range || isEmpty(range)) {
      continue;
    }
    const last = groups[groups.length - 1];
    if (last && sameRange(last.range, range)) {
      last.tokens.push(token);
    } else {
      groups.push({ range, tokens: [token] });
    }
  }
  const out: TokenDecorations = { even: [], odd: [] };
  groups.forEach((group, index) => {
    const hover = group.tokens.length === 1
      ? `token ${describe(group.tokens[0] as ServerToken)}`
      : `${group.tokens.length} tokens for these characters: ${group.tokens.map(describe).join(', ')}`;
    (index % 2 === 0 ? out.even : out.odd).push({ range: group.range, hover });
  });
  return out;
}

export interface TokenGroup {
  text?: string;
  /** Indexes into the view's tokens. */
  tokens: number[];
  range?: Range | null;
}

/**
 * Decorations from a `ghostls.showTokens` result.  The server groups tokens by the characters
 * they cover (`groups`, each with an LSP range); older results carry a range on each token.
 */
export function tokenViewDecorations(view: { tokens?: ServerToken[]; groups?: TokenGroup[] }): TokenDecorations {
  const tokens = view.tokens ?? [];
  if (!Array.isArray(view.groups)) {
    return tokenDecorations(tokens);
  }
  const flattened: ServerToken[] = [];
  for (const group of view.groups) {
    const members = group.tokens.map((i) => tokens[i]).filter((t): t is ServerToken => t !== undefined && !t.special);
    for (const member of members.length ? members : [{ id: -1, text: group.text ?? '' }]) {
      flattened.push({ ...member, range: group.range ?? null, special: false });
    }
  }
  return tokenDecorations(flattened);
}

export interface LineWeight {
  line: number;
  mass: number;
  range?: Range | null;
}

/** Attention mass per line as `levels` buckets of whole-line decorations (bucket 0 = lightest). */
export function attentionLineDecorations(lines: LineWeight[], levels = 5): TokenDecoration[][] {
  const buckets: TokenDecoration[][] = Array.from({ length: levels }, () => []);
  const max = Math.max(0, ...lines.map((l) => l.mass));
  if (max <= 0) {
    return buckets;
  }
  const total = lines.reduce((sum, l) => sum + Math.max(0, l.mass), 0);
  for (const entry of lines) {
    if (entry.mass <= 0) continue;
    const level = Math.min(levels - 1, Math.floor((entry.mass / max) * levels));
    const range = entry.range ?? { start: { line: entry.line, character: 0 }, end: { line: entry.line, character: 0 } };
    const share = total > 0 ? ` (${((entry.mass / total) * 100).toFixed(1)}% of the attention)` : '';
    (buckets[level] as TokenDecoration[]).push({ range, hover: `attention mass on line ${entry.line + 1}: ${entry.mass}${share}` });
  }
  return buckets;
}
