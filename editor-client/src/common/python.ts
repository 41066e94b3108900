/**
 * Which Python runs the server: the `ghostls.python` setting, else the Python extension's active
 * interpreter, else `python3` on PATH.  Every step of the search is logged, so "why this
 * interpreter?" is answered by the output channel.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger, errorMessage } from './log';

export type InterpreterSource = 'setting' | 'python-extension' | 'path';

export interface Interpreter {
  path: string;
  source: InterpreterSource;
}

export interface InterpreterLookup {
  /** The `ghostls.python` setting ('' when unset). */
  setting: string;
  /** First workspace folder, for `${workspaceFolder}` and relative paths. */
  workspaceFolder?: string | undefined;
  /** The Python extension's active interpreter; undefined when it is absent or has none. */
  pythonExtension: () => Promise<string | undefined>;
  pathEnv?: string | undefined;
  platform?: NodeJS.Platform;
}

export function expandSetting(value: string, workspaceFolder: string | undefined, home = os.homedir()): string {
  let expanded = value.trim();
  if (workspaceFolder !== undefined) {
    expanded = expanded.split('${workspaceFolder}').join(workspaceFolder);
  }
  expanded = expanded.split('${userHome}').join(home);
  if (expanded === '~' || expanded.startsWith('~/')) {
    expanded = path.join(home, expanded.slice(1));
  }
  if (!path.isAbsolute(expanded) && workspaceFolder !== undefined && expanded.includes(path.sep)) {
    expanded = path.resolve(workspaceFolder, expanded);
  }
  return expanded;
}

export function isExecutableFile(file: string, platform: NodeJS.Platform = process.platform): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    if (platform === 'win32') {
      return true;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first of `names` found as an executable in the PATH directories. */
export function findOnPath(names: string[], pathEnv: string | undefined,
  platform: NodeJS.Platform = process.platform): string | undefined {
  const dirs = (pathEnv ?? '').split(platform === 'win32' ? ';' : ':').filter((d) => d.length > 0);
  const suffixes = platform === 'win32' ? ['.exe', ''] : [''];
  for (const name of names) {
    for (const dir of dirs) {
      for (const suffix of suffixes) {
        const candidate = path.join(dir, name + suffix);
        if (isExecutableFile(candidate, platform)) {
          return candidate;
        }
      }
    }
  }
  return undefined;
}

export async function resolveInterpreter(lookup: InterpreterLookup, log: Logger): Promise<Interpreter | undefined> {
  const platform = lookup.platform ?? process.platform;
  log.info('Looking for a Python interpreter to run ghostls.');
  if (lookup.setting.trim()) {
    const configured = expandSetting(lookup.setting, lookup.workspaceFolder);
    if (isExecutableFile(configured, platform)) {
      log.info(`1. ghostls.python is set: using ${configured}`);
      return { path: configured, source: 'setting' };
    }
    const onPath = path.isAbsolute(configured) ? undefined : findOnPath([configured], lookup.pathEnv, platform);
    if (onPath) {
      log.info(`1. ghostls.python is set to ${configured}: found on PATH at ${onPath}`);
      return { path: onPath, source: 'setting' };
    }
    log.warn(`1. ghostls.python is ${JSON.stringify(lookup.setting)}, which is not an executable file; ` +
      'trying the Python extension next.');
  } else {
    log.info('1. ghostls.python is not set.');
  }
  try {
    const fromExtension = await lookup.pythonExtension();
    if (fromExtension && isExecutableFile(fromExtension, platform)) {
      log.info(`2. The Python extension's active interpreter: using ${fromExtension}`);
      return { path: fromExtension, source: 'python-extension' };
    }
    log.info(fromExtension
      ? `2. The Python extension's interpreter ${fromExtension} is not an executable file.`
      : '2. The Python extension is not installed or has no active interpreter.');
  } catch (error) {
    log.warn(`2. Asking the Python extension failed: ${errorMessage(error)}`);
  }
  const names = platform === 'win32' ? ['python', 'py'] : ['python3', 'python'];
  const found = findOnPath(names, lookup.pathEnv, platform);
  if (found) {
    log.info(`3. On PATH: using ${found}`);
    return { path: found, source: 'path' };
  }
  log.error(`3. No ${names.join(' or ')} on PATH. Set ghostls.python to the interpreter that has ghostls.`);
  return undefined;
}

export interface GhostlsCheck {
  ok: boolean;
  version?: string;
  detail: string;
}

const CHECK_SCRIPT = 'import sys, ghostls; sys.stdout.write(ghostls.__version__)';

/** Runs the interpreter once to see that ghostls imports (a clear error beats a dead pipe). */
export function checkGhostls(python: string, timeoutMs = 30000): Promise<GhostlsCheck> {
  return new Promise((resolve) => {
    execFile(python, ['-c', CHECK_SCRIPT], { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        const lines = `${stderr}`.trim().split('\n');
        const detail = lines[lines.length - 1] || errorMessage(error);
        resolve({ ok: false, detail });
        return;
      }
      resolve({ ok: true, version: `${stdout}`.trim(), detail: `ghostls ${`${stdout}`.trim()}` });
    });
  });
}

export function quoteArg(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `"${value.replace(/(["\\$`])/g, '\\$1')}"`;
}

export function pipInstallCommand(python: string): string {
  return `${quoteArg(python)} -m pip install ghostls`;
}

/** What the user reads when the server cannot start; says how to fix it. */
export function cannotStartMessage(python: string | undefined, check?: GhostlsCheck): string {
  if (python === undefined) {
    return 'ghostls: no Python interpreter found. Install Python 3.11+ and ghostls, or set "ghostls.python" ' +
      'to an interpreter that has ghostls.';
  }
  const why = check && !check.ok ? ` (${check.detail})` : '';
  return `ghostls cannot start with ${python}${why}. Install it into that interpreter with: ` +
    `${pipInstallCommand(python)}  (or set "ghostls.python" to an interpreter that has ghostls).`;
}
