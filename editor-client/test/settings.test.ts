/** Settings: package.json vs the server's schema, and the object the server receives. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  CLIENT_ONLY_SETTINGS, contributedProperties, reactionTo, serverSettingKeys, toggleTarget, toServerSettings,
} from '../src/common/settings';
import { CLIENT_DIR, NO_PYTHON, repoPython } from './fakes';

const packageJson = JSON.parse(readFileSync(path.join(CLIENT_DIR, 'package.json'), 'utf8'));
const properties = contributedProperties(packageJson);
const serverKeys = serverSettingKeys(properties);

describe('settings mapping', () => {
  it('contributes the client-only settings and nothing else beside the server settings', () => {
    for (const key of CLIENT_ONLY_SETTINGS) assert.ok(key in properties, key);
    assert.equal(serverKeys.length + CLIENT_ONLY_SETTINGS.length, Object.keys(properties).length);
    assert.ok(!serverKeys.includes('ghostls.python') && serverKeys.includes('ghostls.inline.maxLines'));
  });

  it('nests dotted keys into the camelCase object the server parses, leaving client keys out', () => {
    const values: Record<string, unknown> = {
      model: '/models/tiny', 'inline.maxLines': 3, 'inline.enable': false, 'aws.region': 'eu-west-1',
      python: '/usr/bin/python3', 'trace.server': 'verbose',
    };
    const settings = toServerSettings(serverKeys, (key) => values[key]);
    assert.deepEqual(settings, { model: '/models/tiny', inline: { maxLines: 3, enable: false },
      aws: { region: 'eu-west-1' } });
  });

  it('gives the server exactly its own defaults when every setting is left at its default', {
    skip: repoPython() ? false : NO_PYTHON,
  }, () => {
    const defaults = toServerSettings(serverKeys, (key) => properties[`ghostls.${key}`]?.default);
    const script = 'import json,sys\nfrom ghostls.settings import parse_settings, to_json, Settings\n' +
      's, problems = parse_settings(json.load(sys.stdin))\n' +
      'print(json.dumps({"problems": problems, "same": s == Settings(), "echo": to_json(s)}))';
    const out = JSON.parse(execFileSync(repoPython() as string, ['-c', script], { input: JSON.stringify(defaults),
      encoding: 'utf8' }));
    assert.deepEqual(out.problems, []);
    assert.equal(out.same, true);
    assert.deepEqual(out.echo, defaults);
  });

  it('restarts on an interpreter change, pushes other server settings, ignores the rest', () => {
    const only = (...keys: string[]) => (key: string) => keys.includes(key);
    assert.equal(reactionTo(only('ghostls.python'), serverKeys), 'restart');
    assert.equal(reactionTo(only('ghostls.inline.maxLines'), serverKeys), 'push');
    assert.equal(reactionTo(only('ghostls.trace.server'), serverKeys), 'none');
    assert.equal(reactionTo(only('editor.fontSize'), serverKeys), 'none');
  });

  it('toggles inline suggestions in the most specific scope that sets them', () => {
    assert.equal(toggleTarget(undefined), 'global');
    assert.equal(toggleTarget({ globalValue: true }), 'global');
    assert.equal(toggleTarget({ globalValue: true, workspaceValue: false }), 'workspace');
    assert.equal(toggleTarget({ workspaceValue: false, workspaceFolderValue: true }), 'workspaceFolder');
  });
});

describe("package.json mirrors the server's schema", () => {
  it('matches `ghostls schema` one to one (scripts/sync-settings.mjs --check)', {
    skip: repoPython() ? false : NO_PYTHON,
  }, () => {
    const env = { ...process.env, GHOSTLS_PYTHON: repoPython() as string };
    const out = execFileSync(process.execPath, [path.join(CLIENT_DIR, 'scripts', 'sync-settings.mjs'), '--check'],
      { env, encoding: 'utf8' });
    assert.match(out, /mirrors the server's \d+ settings/);
  });

  it('has a type, default and description for every setting', () => {
    for (const [key, property] of Object.entries(properties)) {
      assert.ok(property.type && property.description && 'default' in property, key);
    }
  });
});
