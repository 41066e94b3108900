/**
 * Settings: package.json contributes every server setting (generated from `ghostls schema` by
 * scripts/sync-settings.mjs) plus a few the client alone uses.  The server gets the nested
 * camelCase object it parses (`{"inline": {"maxLines": 8}}`), never the client-only keys.
 */

export const SECTION = 'ghostls';

/**
 * Settings the extension uses itself (the server would report them as unknown).  Their
 * definitions live in scripts/sync-settings.mjs, which writes them into package.json.
 */
export const CLIENT_ONLY_SETTINGS = ['ghostls.python', 'ghostls.trace.server'];

/** Changing these restarts the server (it must run in another interpreter). */
export const RESTART_SETTINGS = ['ghostls.python'];

export interface ConfigurationProperty {
  type: string;
  default: unknown;
  description: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: { type: string };
  scope?: string;
  [extra: string]: unknown;
}

export type ConfigurationProperties = Record<string, ConfigurationProperty>;

interface PackageJsonLike {
  contributes?: { configuration?: { properties?: ConfigurationProperties } };
}

export function contributedProperties(packageJson: unknown): ConfigurationProperties {
  return (packageJson as PackageJsonLike).contributes?.configuration?.properties ?? {};
}

export function serverSettingKeys(properties: ConfigurationProperties): string[] {
  return Object.keys(properties).filter((key) => key.startsWith(`${SECTION}.`) && !CLIENT_ONLY_SETTINGS.includes(key));
}

/**
 * The server's settings object from flat keys.  `get` reads one key relative to the section
 * (`inline.maxLines`), as `workspace.getConfiguration('ghostls').get` does; undefined values are
 * left out (the server uses its defaults).
 */
export function toServerSettings(keys: string[], get: (relativeKey: string) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const relative = key.slice(SECTION.length + 1);
    const value = get(relative);
    if (value === undefined) {
      continue;
    }
    const parts = relative.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        node[part] = {};
      }
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1] as string] = value;
  }
  return out;
}

export type ConfigurationReaction = 'restart' | 'push' | 'none';

/** What a configuration change means: restart (interpreter), push new settings, or nothing. */
export function reactionTo(affects: (key: string) => boolean, serverKeys: string[]): ConfigurationReaction {
  if (RESTART_SETTINGS.some(affects)) {
    return 'restart';
  }
  return serverKeys.some(affects) ? 'push' : 'none';
}

export type ConfigurationTarget = 'global' | 'workspace' | 'workspaceFolder';

export interface InspectedValue<T> {
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** Where a toggle writes: the most specific scope that already sets the value, else the user's settings. */
export function toggleTarget<T>(inspected: InspectedValue<T> | undefined): ConfigurationTarget {
  if (inspected?.workspaceFolderValue !== undefined) {
    return 'workspaceFolder';
  }
  if (inspected?.workspaceValue !== undefined) {
    return 'workspace';
  }
  return 'global';
}

/** The answer to the server's `workspace/configuration`: our settings object for the ghostls section. */
export function configurationAnswer(items: { section?: string | undefined }[],
  settings: () => Record<string, unknown>): (Record<string, unknown> | undefined)[] {
  return items.map((item) => (item.section === SECTION ? settings() : undefined));
}
