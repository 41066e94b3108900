/**
 * Starting, restarting and stopping the server: find the interpreter, check that ghostls imports
 * there, start the language client.  The client itself comes from a factory (src/client.ts in
 * VS Code), so this logic runs in the tests without VS Code.
 */
import type { ServerClient } from './host';
import { errorMessage, type Logger } from './log';
import {
  cannotStartMessage, type GhostlsCheck, type Interpreter, type InterpreterLookup, resolveInterpreter,
} from './python';
import type { ServerState } from './status';

export interface LaunchPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** `python -m ghostls serve` on stdio; stdout is the LSP channel, so Python must not buffer it. */
export function launchPlan(python: string, baseEnv: NodeJS.ProcessEnv = process.env): LaunchPlan {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(baseEnv)) {
    if (value !== undefined) env[key] = value;
  }
  env['PYTHONUNBUFFERED'] = '1';
  env['PYTHONIOENCODING'] = 'utf-8';
  return { command: python, args: ['-m', 'ghostls', 'serve', '--stdio'], env };
}

export interface RunningServer extends ServerClient {
  stop(): Promise<void>;
  pushSettings(settings: Record<string, unknown>): Promise<void>;
}

export interface SupervisorDeps {
  lookup: () => InterpreterLookup;
  check: (python: string) => Promise<GhostlsCheck>;
  start: (plan: LaunchPlan) => Promise<RunningServer>;
  onState: (state: ServerState) => void;
  showError: (message: string, ...actions: string[]) => Promise<string | undefined>;
  showLogs: () => void;
  log: Logger;
}

export class ServerSupervisor {
  private running: RunningServer | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  interpreter: Interpreter | undefined;

  constructor(private readonly deps: SupervisorDeps) {}

  get client(): RunningServer | undefined {
    return this.running;
  }

  /** Start (or restart) the server; concurrent calls run one after another.  True when it runs. */
  restart(reason: string): Promise<boolean> {
    const next = this.chain.then(async () => {
      await this.stopNow();
      return this.startNow(reason);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  stop(): Promise<void> {
    const next = this.chain.then(() => this.stopNow());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async stopNow(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (running !== undefined) {
      this.deps.log.info('Stopping the server.');
      try {
        await running.stop();
      } catch (error) {
        this.deps.log.warn(`Stopping the server failed: ${errorMessage(error)}`);
      }
      this.deps.onState({ kind: 'stopped' });
    }
  }

  private async startNow(reason: string): Promise<boolean> {
    const { log } = this.deps;
    log.info(`Starting ghostls (${reason}).`);
    this.deps.onState({ kind: 'starting', detail: 'finding Python' });
    const interpreter = await resolveInterpreter(this.deps.lookup(), log);
    this.interpreter = interpreter;
    if (interpreter === undefined) {
      return this.fail(cannotStartMessage(undefined));
    }
    const check = await this.deps.check(interpreter.path);
    if (!check.ok) {
      log.error(`ghostls does not import in ${interpreter.path}: ${check.detail}`);
      return this.fail(cannotStartMessage(interpreter.path, check));
    }
    log.info(`${check.detail} in ${interpreter.path}`);
    const plan = launchPlan(interpreter.path);
    log.info(`Running: ${plan.command} ${plan.args.join(' ')}`);
    this.deps.onState({ kind: 'starting', detail: check.detail });
    try {
      this.running = await this.deps.start(plan);
    } catch (error) {
      log.error(`The server did not start: ${errorMessage(error)}`);
      return this.fail(`${cannotStartMessage(interpreter.path)} Error: ${errorMessage(error)}`);
    }
    log.info('The server is running.');
    return true;
  }

  /** Tells the user (without waiting for them: a notification stays until dismissed). */
  private fail(message: string): false {
    this.deps.onState({ kind: 'error', message });
    void this.deps.showError(message, 'Show Logs').then((choice) => {
      if (choice === 'Show Logs') {
        this.deps.showLogs();
      }
    });
    return false;
  }
}
