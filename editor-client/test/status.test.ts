/** The status-bar item: loading progress, ready with the model, error; from real status shapes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stateFromStatus, statusView } from '../src/common/status';

describe('status bar', () => {
  it('shows loading progress with its percentage and message', () => {
    const view = statusView({ kind: 'loading', title: 'Loading model', message: 'weights', percent: 42.4 }, true);
    assert.equal(view.text, '$(sync~spin) ghostls 42%');
    assert.match(view.tooltip, /Loading model: weights/);
    assert.equal(view.error, false);
  });

  it('shows the model when ready, and whether inline suggestions are off', () => {
    const ready = stateFromStatus({ version: '0.1.0', provider: { state: 'ready', provider: 'local', model: 'SmolLM2-135M',
      device: 'cpu', loaded: true } });
    assert.deepEqual(ready, { kind: 'ready', provider: 'local', model: 'SmolLM2-135M', device: 'cpu' });
    assert.equal(statusView(ready, true).text, '$(sparkle) SmolLM2-135M');
    assert.match(statusView(ready, true).tooltip, /ready: SmolLM2-135M \(local, cpu\)/);
    assert.equal(statusView(ready, false).text, '$(sparkle) SmolLM2-135M (off)');
  });

  it('shows the provider error', () => {
    const state = stateFromStatus({ provider: { state: 'error', error: "'ghostls.model' /x does not exist" } });
    const view = statusView(state, true);
    assert.equal(view.error, true);
    assert.equal(view.text, '$(error) ghostls');
    assert.match(view.tooltip, /\/x does not exist/);
  });

  it('reads a loading provider and a malformed status without throwing', () => {
    assert.equal(stateFromStatus({ provider: { state: 'loading', model: 'm' } }).kind, 'loading');
    assert.equal(stateFromStatus(null).kind, 'starting');
    assert.equal(statusView({ kind: 'stopped' }, true).text, '$(circle-slash) ghostls');
  });
});
