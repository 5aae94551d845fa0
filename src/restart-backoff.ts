/**
 * Back-off between restarts of a crash-looping service. The unit restarts
 * edgepush 2 s after any exit (Restart=always); systemd only grows that delay
 * from version 254 (RestartSteps), and the fleets this runs on (Debian 12,
 * RHEL 9: 252; RHEL 8: 239; Ubuntu 22.04: 249) would otherwise retry a bad
 * configuration or a crash every 2 s forever, flooding the journal and the
 * gateways. So the agent backs off itself, the same way on every systemd:
 * each start records when it began; a start that finds the previous run
 * began less than HEALTHY_RUN ago in the same boot, and did not stop on
 * request, counts one more failure and waits 2 s, 4 s, 8 s ... up to 5 min
 * (with jitter, so a fleet that broke together does not retry in lockstep)
 * before doing anything. A run that lasts HEALTHY_RUN, a clean stop or a
 * reboot clears the count.
 *
 * Only under systemd (INVOCATION_ID set, the state directory from
 * STATE_DIRECTORY): a person starting edgepush in a terminal never gets a
 * surprise delay.
 * Times are CLOCK_MONOTONIC (process.hrtime), comparable between processes
 * of one boot and immune to the wall clock being set at boot.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { backoffDelayMs, type BackoffOptions } from './backoff.ts';
import { DEFAULT_STATE_DIR } from './config/config.ts';
import type { Logger } from './log.ts';
import { writeFileAtomic } from './state-file.ts';

const RESTART_BACKOFF: BackoffOptions = { minMs: 2_000, maxMs: 300_000 };
/** A run that lasted this long was healthy: the next start does not wait. */
export const HEALTHY_RUN_MS = 60_000;
export const RESTART_STATE_FILE = 'restart-backoff.json';

interface RecordedStart {
  bootId: string;
  /** CLOCK_MONOTONIC milliseconds at which the run began (after its own wait). */
  startedMs: number;
  /** Failed starts in a row before this run. */
  failures: number;
  /** True once the run stopped on request (SIGTERM/SIGINT). */
  stopped: boolean;
}

export interface RestartBackoffDeps {
  stateFile: string;
  bootId: () => string;
  nowMs: () => number;
  random?: () => number;
  log: Logger;
}

export interface StartDecision {
  /** Failed starts in a row before this one (0: the previous run was healthy, stopped on request, or there was none). */
  failures: number;
  /** How long to wait before starting. */
  delayMs: number;
}

/** The unit's state file, when running as the systemd service; undefined otherwise. */
export function serviceStateFile(
  env: NodeJS.ProcessEnv = process.env,
  defaultDirExists: () => boolean = () => existsSync(DEFAULT_STATE_DIR),
): string | undefined {
  if (!env['INVOCATION_ID']) return undefined;
  // STATE_DIRECTORY may list several directories separated by colons; the unit sets one.
  // systemd < 240 (RHEL 8) creates StateDirectory= but does not export it: the packaged path then.
  const stateDir = env['STATE_DIRECTORY']?.split(':')[0] || (defaultDirExists() ? DEFAULT_STATE_DIR : undefined);
  return stateDir ? path.join(stateDir, RESTART_STATE_FILE) : undefined;
}

export function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

export class RestartBackoff {
  private current: RecordedStart | undefined;
  private readonly deps: RestartBackoffDeps;

  constructor(deps: RestartBackoffDeps) {
    this.deps = deps;
  }

  /** Decides this start's wait from the previous run's record, and records this run as started. */
  begin(): StartDecision {
    const bootId = this.deps.bootId();
    const now = this.deps.nowMs();
    const previous = this.read();
    const crashedSoon = previous !== undefined && previous.bootId === bootId && !previous.stopped && now - previous.startedMs < HEALTHY_RUN_MS;
    const failures = crashedSoon ? previous.failures + 1 : 0;
    const delayMs = failures === 0 ? 0 : backoffDelayMs(failures - 1, RESTART_BACKOFF, this.deps.random);
    this.current = { bootId, startedMs: now + delayMs, failures, stopped: false };
    this.save('cannot record this start; restarts after a crash will not back off');
    return { failures, delayMs };
  }

  /** Records a stop on request: the next start is not a restart after a failure. */
  stopped(): void {
    if (!this.current) return;
    this.current.stopped = true;
    this.save('cannot record the clean stop');
  }

  private save(failureMessage: string): void {
    try {
      writeFileAtomic(this.deps.stateFile, JSON.stringify(this.current) + '\n');
    } catch (err) {
      this.deps.log.warn(failureMessage, { file: this.deps.stateFile, err });
    }
  }

  private read(): RecordedStart | undefined {
    let text: string;
    try {
      text = readFileSync(this.deps.stateFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.deps.log.warn('ignoring unreadable restart record', { file: this.deps.stateFile, err });
      return undefined;
    }
    try {
      const r = JSON.parse(text) as Partial<RecordedStart>;
      if (typeof r.bootId === 'string' && typeof r.startedMs === 'number' && typeof r.failures === 'number' && typeof r.stopped === 'boolean')
        return r as RecordedStart;
    } catch {
      // fall through: a damaged record only costs one back-off step
    }
    this.deps.log.warn('ignoring damaged restart record', { file: this.deps.stateFile });
    return undefined;
  }
}
