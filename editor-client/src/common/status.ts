/** The status-bar item's text from the server's state: starting, loading (with progress), ready, error. */

export type ServerState =
  | { kind: 'starting'; detail?: string }
  | { kind: 'loading'; title: string; message?: string; percent?: number }
  | { kind: 'ready'; provider?: string; model?: string; device?: string }
  | { kind: 'error'; message: string }
  | { kind: 'stopped' };

export interface StatusView {
  text: string;
  tooltip: string;
  error: boolean;
}

export function statusView(state: ServerState, inlineEnabled: boolean): StatusView {
  const off = inlineEnabled ? '' : ' (off)';
  const click = '\nClick for the server status.';
  switch (state.kind) {
    case 'starting':
      return { text: '$(sync~spin) ghostls', tooltip: `ghostls: starting${state.detail ? ` (${state.detail})` : ''}`, error: false };
    case 'loading': {
      const percent = state.percent !== undefined ? ` ${Math.round(state.percent)}%` : '';
      const message = state.message ? `: ${state.message}` : '';
      return { text: `$(sync~spin) ghostls${percent}`, tooltip: `ghostls: ${state.title}${message}${click}`, error: false };
    }
    case 'ready': {
      const model = state.model ?? 'model';
      const where = [state.provider, state.device].filter((x) => x).join(', ');
      return {
        text: `$(sparkle) ${model}${off}`,
        tooltip: `ghostls ready: ${model}${where ? ` (${where})` : ''}${inlineEnabled ? '' : '\nInline suggestions are off.'}${click}`,
        error: false,
      };
    }
    case 'error':
      return { text: '$(error) ghostls', tooltip: `ghostls: ${state.message}${click}`, error: true };
    case 'stopped':
      return { text: '$(circle-slash) ghostls', tooltip: `ghostls is not running.${click}`, error: false };
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The state from a `ghostls.status` result: `{provider: {state, provider, model, device, error}}`. */
export function stateFromStatus(status: unknown): ServerState {
  const provider = (typeof status === 'object' && status !== null ? (status as Record<string, unknown>)['provider'] : undefined);
  if (typeof provider !== 'object' || provider === null) {
    return { kind: 'starting', detail: 'no status from the server yet' };
  }
  const p = provider as Record<string, unknown>;
  const state = str(p['state']);
  if (state === 'error') {
    return { kind: 'error', message: str(p['error']) ?? 'the model could not load' };
  }
  if (state === 'loading' || state === 'idle' || state === 'none') {
    return { kind: 'loading', title: 'Loading model', message: str(p['model']) ?? '' };
  }
  const ready: ServerState = { kind: 'ready' };
  const providerName = str(p['provider']);
  const model = str(p['model']);
  const device = str(p['device']);
  if (providerName) ready.provider = providerName;
  if (model) ready.model = model;
  if (device) ready.device = device;
  return ready;
}

export interface ProgressValue {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  percentage?: number;
}

/**
 * The state after one `$/progress` value from the server (it reports model loading).  At 'end'
 * the outcome is unknown here (loaded or failed): undefined means "ask ghostls.status".
 */
export function stateAfterProgress(previous: ServerState, value: ProgressValue): ServerState | undefined {
  if (value.kind === 'end') {
    return undefined;
  }
  const title = value.title ?? (previous.kind === 'loading' ? previous.title : 'Loading');
  const next: ServerState = { kind: 'loading', title };
  const message = value.message ?? (previous.kind === 'loading' && value.kind === 'report' ? previous.message : undefined);
  if (message) next.message = message;
  if (value.percentage !== undefined) next.percent = value.percentage;
  return next;
}
