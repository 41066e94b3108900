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
      : `${group.tokens.length} tokens for one character: ${group.tokens.map(describe).join(', ')}`;
    (index % 2 === 0 ? out.even : out.odd).push({ range: group.range, hover });
  });
  return out;
}
