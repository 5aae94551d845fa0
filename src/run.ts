/**
 * `edgepush run`: the agent as a long-running process: stop and reload
 * signals, the service's restart back-off, the configuration (and its remote
 * layer, config/remote/runner.ts) and the Agent's cycles.
 */
import { Agent } from './agent.ts';
import { loadConfigFromFlags, type AgentConfig } from './config/config.ts';
import { LayerState } from './config/remote/layer-state.ts';
import { RemoteConfigRunner } from './config/remote/runner.ts';
import { log } from './log.ts';
import { trimMallocArenas } from './malloc-trim.ts';
import { monotonicMs, readBootId, RestartBackoff, serviceStateFile } from './restart-backoff.ts';

/** Runs until SIGTERM/SIGINT; the exit code. `loadOrReport` prints why the configuration does not load. */
export async function runAgent(given: Map<string, unknown>, loadOrReport: () => AgentConfig | undefined): Promise<number> {
  // Listening from the first moment: a SIGTERM that found the default action
  // in a gap between stages would kill the process instead of stopping it.
  const signals = listenForSignals();
  try {
    const restarts = serviceRestartBackoff();
    if (restarts) {
      const { failures, delayMs } = restarts.begin();
      if (delayMs > 0) {
        log.warn('the previous run failed soon after starting; waiting before starting again', { failures, wait: `${(delayMs / 1000).toFixed(1)}s` });
        if ((await signals.stopOr(delayMs)) !== undefined) {
          restarts.stopped();
          return 0;
        }
      }
    }
    let config = loadOrReport();
    // A remote layer whose trial never completed a cycle crashed the last run: start without it.
    const crashed = config?.remoteConfig && new LayerState(config.remoteConfig.cacheFile).recoverFromCrash();
    if (crashed) config = loadOrReport();
    if (!config) return 1;
    let remote: RemoteConfigRunner | undefined;
    const agent = new Agent({
      config,
      reloadConfig: () => loadConfigFromFlags(given),
      onCycle: (cycle) =>
        void cycle.pushed.then((reports) => {
          remote?.observe(cycle.startedMs, reports);
          // The cycle's buffers are freed: what malloc keeps of them goes back to the kernel until the next one.
          trimMallocArenas();
        }),
    });
    remote = new RemoteConfigRunner(agent, crashed, (text) => void loadConfigFromFlags(given, text));
    signals.onReload(() => remote.reload());
    agent.start();
    // A second signal (e.g. SIGINT to the terminal's group, then SIGTERM) must not cut the graceful stop short: it is ignored.
    const signal = await signals.stopped;
    log.info('stopping', { signal });
    signals.onReload(() => {});
    await remote.stop();
    try {
      await agent.stop();
    } catch (err) {
      log.error('unclean stop', { err });
      return 1;
    }
    restarts?.stopped();
    remote.stoppedCleanly();
    return 0;
  } finally {
    signals.dispose();
  }
}

/** The restart back-off when running as the systemd service (see restart-backoff.ts). */
function serviceRestartBackoff(): RestartBackoff | undefined {
  const stateFile = serviceStateFile();
  return stateFile ? new RestartBackoff({ stateFile, bootId: readBootId, nowMs: monotonicMs, log }) : undefined;
}

interface RunSignals {
  /** The first SIGTERM or SIGINT. */
  stopped: Promise<NodeJS.Signals>;
  /** Waits `ms`, or less when a stop signal comes first (then resolves to it). */
  stopOr(ms: number): Promise<NodeJS.Signals | undefined>;
  /** What SIGHUP does from now on (nothing until the agent runs: the configuration is read after any wait). */
  onReload(fn: () => void): void;
  dispose(): void;
}

function listenForSignals(): RunSignals {
  let reload = (): void => {};
  let resolveStop!: (signal: NodeJS.Signals) => void;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (resolveStop = resolve));
  const onStop = (signal: NodeJS.Signals): void => resolveStop(signal);
  const onHup = (): void => reload();
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);
  return {
    stopped,
    stopOr: (ms) => {
      let timer: NodeJS.Timeout | undefined;
      const elapsed = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
      return Promise.race([stopped, elapsed]).finally(() => clearTimeout(timer));
    },
    onReload: (fn) => {
      reload = fn;
    },
    dispose: () => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onHup);
    },
  };
}
