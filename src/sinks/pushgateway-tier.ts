/**
 * Which gateway of a sharded Pushgateway tier this box pushes to, and which
 * groups it left where. Pure bookkeeping with the clock passed in (the sink
 * does the HTTP), so every rule below is tested without waiting.
 *
 * Rules, and why:
 * - The box pushes to the first gateway of its rendezvous order.
 * - Failover: when the active gateway has been failing (connection errors,
 *   timeouts, 5xx; not 4xx, which are the box's own fault and would fail
 *   anywhere) for `failoverAfterMs` since it last took a push, the box moves to
 *   the next gateway of its order. The grace period rides out restarts and
 *   blips: moving costs a full push elsewhere plus a cleanup, for 1/N of the fleet.
 *   It moves only to a gateway that answers a health probe promptly (the sink
 *   probes the candidates) and that it did not itself leave failing within that
 *   gateway's failback hold: when the whole tier is overloaded, moving only
 *   adds a full push and a cleanup to a gateway as slow as the one it left, so
 *   the box stays where it is (the fleet drill saw hundreds of moves a minute
 *   without this rule). A dead next gateway is skipped, not tried for a grace.
 * - Failback: while away, the gateways it prefers are probed every cycle; it
 *   returns to the best one that has been healthy for `failbackAfterMs` without
 *   a single failed probe. A gateway that flaps never qualifies, so the box does
 *   not flap with it. A gateway can pass probes and still fail pushes (slow on
 *   writes only): a failover from a gateway the box failed back to, before it
 *   took pushes for the whole hold, doubles that gateway's hold (up to
 *   MAX_HOLD_FACTOR times failbackAfterMs), so such a gateway costs a few
 *   moves, not one every failover + failback period.
 * - Tier change (a reload or restart with other gateways, or another identity):
 *   a box that was on its preferred gateway moves to its new preferred one at
 *   once; a box in failover stays where it is (if still in the tier) and the
 *   failback rule brings it home.
 * - Every group pushed to a gateway is remembered per gateway from the moment
 *   its PUT is sent (a PUT that timed out may still be applied) until a DELETE
 *   there succeeds; the sink cleans up every gateway that is not the active one.
 *   A slow gateway applies a timed-out PUT late, possibly after a later DELETE:
 *   after a write went unanswered, a DELETE sent within `failoverAfterMs` of it
 *   (the time the box itself gives a gateway to answer) does not count, so the
 *   DELETE is repeated until one is sent after that.
 *   A gateway that left the tier is given up after GIVE_UP_MS (it may be gone
 *   for good).
 */

export type GatewayHealth = 'ok' | 'down' | 'unknown';

export interface TierTimings {
  failoverAfterMs: number;
  failbackAfterMs: number;
}

export interface Move {
  from: string;
  to: string;
  reason: 'failover' | 'failback' | 'tier';
}

/** The state file's content (`<state_dir>/<sink>.groups.json`). */
export interface SavedTier {
  active: string;
  /** The box's first choice when it was saved: active !== preferred means a failover was in progress. */
  preferred: string;
  gateways: Record<string, { groups: string[]; leftMs?: number }>;
}

/** A day: long enough for a drained gateway to answer once more, short enough not to retry a dead URL forever. */
export const GIVE_UP_MS = 24 * 3600 * 1000;

/** The longest failback hold, in failbackAfterMs: with the default 5m, a flapping gateway is retried every 80 minutes at most. */
export const MAX_HOLD_FACTOR = 16;

/**
 * Reads a state file's JSON, today's format or the single-gateway one of
 * earlier releases (`{url, groups}`); undefined when it is neither.
 */
export function parseSavedTier(json: unknown): SavedTier | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const o = json as Record<string, unknown>;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : []);
  if (typeof o['url'] === 'string') return { active: o['url'], preferred: o['url'], gateways: { [o['url']]: { groups: strings(o['groups']) } } };
  if (typeof o['active'] !== 'string' || typeof o['preferred'] !== 'string' || typeof o['gateways'] !== 'object' || o['gateways'] === null) return undefined;
  const gateways: SavedTier['gateways'] = {};
  for (const [url, g] of Object.entries(o['gateways'] as Record<string, { groups?: unknown; leftMs?: unknown }>)) {
    gateways[url] = { groups: strings(g?.groups), ...(typeof g?.leftMs === 'number' ? { leftMs: g.leftMs } : {}) };
  }
  return { active: o['active'], preferred: o['preferred'], gateways };
}

export class Tier {
  /** The gateways in this box's rendezvous order, best first. */
  readonly order: readonly string[];
  private activeUrl: string;
  private readonly timings: TierTimings;
  /** When the active gateway last took a push (undefined: not since it became active). */
  private lastOkMs: number | undefined;
  private failingSinceMs: number | undefined;
  /** Preferred gateways' unbroken runs of healthy probes. */
  private readonly healthySince = new Map<string, number>();
  private readonly groups = new Map<string, Set<string>>();
  /** Gateways outside the tier that still hold groups: since when. */
  private readonly leftMs = new Map<string, number>();
  /** Per gateway, when a write to it last went unanswered (it may still be applied). */
  private readonly unansweredMs = new Map<string, number>();
  /** Gateways the box failed over away from: when. */
  private readonly leftFailingMs = new Map<string, number>();
  /** Failback holds lengthened by flaps, per gateway. */
  private readonly holdMs = new Map<string, number>();
  /** The gateway the box last failed back to, and when, until it proves stable there. */
  private trial: { url: string; sinceMs: number } | undefined;
  /** The move a tier change made at construction, for the sink to log and count. */
  readonly initialMove: Move | undefined;

  constructor(order: readonly string[], timings: TierTimings, saved: SavedTier | undefined, nowMs: number) {
    if (order.length === 0) throw new Error('a tier needs at least one gateway');
    this.order = order;
    this.timings = timings;
    this.activeUrl = order[0]!;
    if (!saved) return;
    for (const [url, g] of Object.entries(saved.gateways)) {
      if (g.groups.length === 0) continue;
      this.groups.set(url, new Set(g.groups));
      if (!order.includes(url)) this.leftMs.set(url, g.leftMs ?? nowMs);
    }
    const inFailover = saved.active !== saved.preferred && order.includes(saved.active) && saved.active !== order[0];
    if (inFailover) this.activeUrl = saved.active;
    else if (saved.active !== this.activeUrl) this.initialMove = { from: saved.active, to: this.activeUrl, reason: 'tier' };
  }

  get active(): string {
    return this.activeUrl;
  }

  /**
   * Whether this cycle's push outcome makes a failover due (before recordPush
   * takes it in): the sink then probes failoverCandidates() for recordPush.
   */
  failoverDue(health: GatewayHealth, nowMs: number): boolean {
    return health === 'down' && this.order.length > 1 && nowMs - (this.failingSinceMs ?? this.lastOkMs ?? nowMs) >= this.timings.failoverAfterMs;
  }

  /** The gateways a failover may go to, in the box's order after the active one: not those it left failing within their hold. */
  failoverCandidates(nowMs: number): string[] {
    const i = this.order.indexOf(this.activeUrl);
    const rest = [...this.order.slice(i + 1), ...this.order.slice(0, i)];
    return rest.filter((url) => {
      const left = this.leftFailingMs.get(url);
      return left === undefined || nowMs - left >= this.hold(url);
    });
  }

  /**
   * The outcome of this cycle's push to the active gateway; returns the
   * failover it causes, if any: to the first candidate `healthy` accepts
   * (the sink's probes), or none when no candidate does (the box stays).
   */
  recordPush(health: GatewayHealth, nowMs: number, healthy: (url: string) => boolean = () => true): Move | undefined {
    if (health === 'ok') {
      this.lastOkMs = nowMs;
      this.failingSinceMs = undefined;
      if (this.trial && nowMs - this.trial.sinceMs >= this.hold(this.trial.url)) {
        this.holdMs.delete(this.trial.url);
        this.trial = undefined;
      }
      return undefined;
    }
    if (health === 'unknown') return undefined;
    const due = this.failoverDue(health, nowMs);
    // Failing since it was last known good: a gateway that died just after a push counts from then.
    this.failingSinceMs ??= this.lastOkMs ?? nowMs;
    if (!due) return undefined;
    if (this.trial?.url === this.activeUrl) {
      this.holdMs.set(this.activeUrl, Math.min(2 * this.hold(this.activeUrl), MAX_HOLD_FACTOR * this.timings.failbackAfterMs));
      this.trial = undefined;
    }
    const next = this.failoverCandidates(nowMs).find(healthy);
    if (next === undefined) return undefined;
    this.leftFailingMs.set(this.activeUrl, nowMs);
    return this.moveTo(next, 'failover');
  }

  /** Gateways this box prefers to the active one: probed every cycle while it is away. */
  probeTargets(): string[] {
    return this.order.slice(0, this.order.indexOf(this.activeUrl));
  }

  recordProbe(url: string, healthy: boolean, nowMs: number): void {
    if (!healthy) this.healthySince.delete(url);
    else if (!this.healthySince.has(url)) this.healthySince.set(url, nowMs);
  }

  /** Moves back to the best preferred gateway that has been healthy long enough, if any. */
  failback(nowMs: number): Move | undefined {
    for (const url of this.probeTargets()) {
      const since = this.healthySince.get(url);
      if (since !== undefined && nowMs - since >= this.hold(url)) {
        this.trial = { url, sinceMs: nowMs };
        return this.moveTo(url, 'failback');
      }
    }
    return undefined;
  }

  /** How long a preferred gateway must pass every probe before the box returns to it. */
  private hold(url: string): number {
    return this.holdMs.get(url) ?? this.timings.failbackAfterMs;
  }

  groupsOn(url: string): ReadonlySet<string> {
    return this.groups.get(url) ?? new Set();
  }

  pushed(url: string, group: string): void {
    let set = this.groups.get(url);
    if (!set) this.groups.set(url, (set = new Set()));
    set.add(group);
  }

  /** A write to `url` got no answer (timeout, connection lost): the gateway may still apply it. */
  unanswered(url: string, nowMs: number): void {
    this.unansweredMs.set(url, nowMs);
  }

  /**
   * A DELETE of `group` sent at `sentMs` succeeded: the group is forgotten,
   * unless a write that went unanswered shortly before may still land after it.
   * Returns whether it was forgotten.
   */
  deleted(url: string, group: string, sentMs: number): boolean {
    const unanswered = this.unansweredMs.get(url);
    if (unanswered !== undefined && sentMs - unanswered < this.timings.failoverAfterMs) return false;
    const set = this.groups.get(url);
    set?.delete(group);
    if (set?.size === 0) {
      this.groups.delete(url);
      this.leftMs.delete(url);
    }
    return true;
  }

  /** Gateways other than the active one that still hold groups of this box. */
  cleanupTargets(): string[] {
    return [...this.groups.keys()].filter((url) => url !== this.activeUrl && this.groupsOn(url).size > 0).sort();
  }

  /** Takes in the groups another writer of the state file remembered (a sink rebuilt by a reload overlaps its predecessor's last push). */
  adopt(saved: SavedTier, nowMs: number): void {
    for (const [url, g] of Object.entries(saved.gateways)) {
      for (const group of g.groups) this.pushed(url, group);
      if (g.groups.length && !this.order.includes(url) && !this.leftMs.has(url)) this.leftMs.set(url, g.leftMs ?? nowMs);
    }
  }

  /** Forgets gateways that left the tier more than GIVE_UP_MS ago; returns them (for a log line). */
  giveUp(nowMs: number): string[] {
    const gone = [...this.leftMs].filter(([, since]) => nowMs - since >= GIVE_UP_MS).map(([url]) => url);
    for (const url of gone) {
      this.groups.delete(url);
      this.leftMs.delete(url);
    }
    return gone;
  }

  /** Every gateway this box knows groups on, and every gateway of the tier (decommission). */
  allGateways(): string[] {
    return [...new Set([...this.order, ...this.groups.keys()])];
  }

  save(): SavedTier {
    const gateways: SavedTier['gateways'] = {};
    for (const url of [...this.groups.keys()].sort()) {
      const left = this.leftMs.get(url);
      gateways[url] = { groups: [...this.groupsOn(url)].sort(), ...(left !== undefined ? { leftMs: left } : {}) };
    }
    return { active: this.activeUrl, preferred: this.order[0]!, gateways };
  }

  private moveTo(to: string, reason: Move['reason']): Move {
    const move: Move = { from: this.activeUrl, to, reason };
    this.activeUrl = to;
    this.lastOkMs = undefined;
    this.failingSinceMs = undefined;
    this.healthySince.delete(to);
    return move;
  }
}
