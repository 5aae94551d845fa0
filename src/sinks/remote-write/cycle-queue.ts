/**
 * One URL's queue of cycles, in front of its disk queue. A cycle waits in
 * memory until it is sent or until the oldest unsent cycle has waited
 * `flushIntervalMs`; then every unsent cycle is written to disk together as
 * one compact block (compact-block.ts) with one fdatasync. While the receiver
 * keeps up, cycles are sent from memory and never written; during an outage
 * the disk sees one block per flush interval instead of one record and one
 * fdatasync per cycle. The price is the bound on a crash: a kill -9 or a power
 * cut loses the cycles not yet sent nor flushed, at most `flushIntervalMs` of
 * them (0 writes every cycle at once, as before the compact format).
 *
 * Requests are made when they are sent (batched per source, protobuf,
 * snappy), from memory or from the oldest block on disk, oldest first; a
 * block is acknowledged on disk once all its requests are. A close saves how
 * many of the oldest block's cycles were sent, so a restart goes on from the
 * next; a crash sends that block again from its start (at most a flush
 * interval of cycles, which Prometheus refuses as out of order where it has
 * them already, and VictoriaMetrics takes again). Blocks in the older format
 * (one request each) are sent as they are.
 */
import type { Logger } from '../../log.ts';
import { decodeBlock, encodeBlock, type Cycle } from './compact-block.ts';
import type { DiskQueue, DropReason, QueuedBlock, QueueStats } from './disk-queue.ts';
import { emptyQueueStats } from './disk-queue.ts';
import { encodeWriteRequest } from './protobuf.ts';
import { countSamples, splitIntoBatches, type BatchLimits } from './series.ts';
import type { OutgoingBlock } from './sender.ts';
import { snappyCompress } from './snappy.ts';

/** Most samples in one block: bounds the memory to decode one and what a crash re-sends. */
const MAX_BLOCK_SAMPLES = 200_000;
/**
 * Most samples waiting in memory while flushes fail (disk read-only, I/O
 * errors): beyond it the oldest are dropped, counted as disk_full, rather
 * than growing without bound on a small box.
 */
const MAX_UNFLUSHED_SAMPLES = 2_000_000;

export interface CycleQueueOptions {
  /** How long an unsent cycle may wait in memory before it is written; 0 writes every cycle at once. */
  flushIntervalMs: number;
  /** Cycles older than this are dropped rather than sent; 0 keeps them. */
  maxAgeMs: number;
  limits: BatchLimits;
  log: Logger;
  now?: () => number;
}

/** One request to send; `ack` it once the receiver accepted or refused it for good. */
export interface OutgoingRequest extends OutgoingBlock {
  /** Changes when the unit the request came from was dropped meanwhile: its ack is then a no-op. */
  epoch: number;
}

interface MemoryCycle {
  cycle: Cycle;
  samples: number;
  queuedMs: number;
  requests?: OutgoingBlock[];
}

/** The unit whose requests are being sent: the oldest block on disk, or else the oldest cycle in memory. */
type Head = { disk: number } | { memory: MemoryCycle };

function sameHead(a: Head | undefined, b: Head | undefined): boolean {
  if (!a || !b) return a === b;
  return 'disk' in a ? 'disk' in b && a.disk === b.disk : 'memory' in b && a.memory === b.memory;
}

export function cycleSamples(cycle: Cycle): number {
  let n = 0;
  for (const g of cycle.groups) n += countSamples(g.series);
  return n;
}

export class CycleQueue {
  readonly disk: DiskQueue;
  private readonly options: CycleQueueOptions;
  private readonly now: () => number;
  private tail: MemoryCycle[] = [];
  private head: Head | undefined;
  /** Requests of `head` already acknowledged. */
  private headDone = 0;
  private epoch = 0;
  private decoded: { block: QueuedBlock; requests: OutgoingBlock[]; cycleEnds: number[] } | undefined;
  /** Cycles of the oldest block a previous run had sent before it closed. */
  private resume: { offset: number; cycles: number } | undefined;
  private readonly memoryDrops = emptyQueueStats().dropped;

  constructor(disk: DiskQueue, options: CycleQueueOptions) {
    this.disk = disk;
    this.options = options;
    this.now = options.now ?? Date.now;
    if (disk.readerProgress > 0) this.resume = { offset: disk.headOffset!, cycles: disk.readerProgress };
  }

  /**
   * Queues a cycle; writes the unsent ones to disk when the oldest has waited
   * the flush interval. Returns the bytes written to disk (0 when none were).
   */
  append(cycle: Cycle): number {
    const samples = cycleSamples(cycle);
    if (samples === 0) return 0;
    this.tail.push({ cycle, samples, queuedMs: this.now() });
    const oldest = this.tail[0]!;
    if (this.now() - oldest.queuedMs < this.options.flushIntervalMs && this.unflushedSamples() < MAX_BLOCK_SAMPLES) return 0;
    return this.flushBounded();
  }

  /** Flushes; when that fails the cycles stay in memory for the next try, within MAX_UNFLUSHED_SAMPLES. */
  private flushBounded(): number {
    try {
      return this.flush();
    } catch (err) {
      let excess = this.unflushedSamples() - MAX_UNFLUSHED_SAMPLES;
      while (excess > 0 && this.tail.length > 0) {
        const dropped = this.tail.shift()!;
        excess -= dropped.samples;
        this.countMemoryDrop('disk_full', dropped.samples);
      }
      throw err;
    }
  }

  /** Writes every cycle waiting in memory to disk (blocks of at most MAX_BLOCK_SAMPLES), one fdatasync per block; returns the bytes. */
  flush(): number {
    let bytes = 0;
    while (this.tail.length > 0) {
      let samples = 0;
      let n = 0;
      while (n < this.tail.length && (n === 0 || samples + this.tail[n]!.samples <= MAX_BLOCK_SAMPLES)) samples += this.tail[n++]!.samples;
      const cycles = this.tail.slice(0, n).map((m) => m.cycle);
      const diskWasEmpty = this.disk.headOffset === undefined;
      const body = encodeBlock(cycles);
      this.disk.append([{ body, samples, createdMs: cycles.at(-1)!.createdMs, format: 'cycles' }]);
      bytes += body.length;
      const moved = this.tail.splice(0, n);
      // The cycle being sent is now the first of the block just written: its acknowledged requests count there.
      if (diskWasEmpty && this.head && 'memory' in this.head && this.head.memory === moved[0] && this.disk.headOffset !== undefined)
        this.head = { disk: this.disk.headOffset };
    }
    return bytes;
  }

  /** Drops what is older than the age bound, on disk and in memory; returns how many blocks and cycles. */
  dropExpired(): number {
    let n = this.disk.dropExpired();
    if (this.options.maxAgeMs > 0) {
      const cutoff = this.now() - this.options.maxAgeMs;
      while (this.tail[0] && this.tail[0].cycle.createdMs < cutoff) {
        this.countMemoryDrop('age', this.tail.shift()!.samples);
        n++;
      }
    }
    return n;
  }

  /** The oldest request not yet acknowledged, or undefined when nothing is pending. */
  peek(): OutgoingRequest | undefined {
    for (;;) {
      this.syncHead();
      if (!this.head) return undefined;
      const requests = this.requestsOf(this.head);
      if (!requests) continue;
      const r = requests[this.headDone];
      if (r) return { body: r.body, samples: r.samples, epoch: this.epoch };
      this.finishHead();
    }
  }

  ack(request: OutgoingRequest): void {
    this.syncHead();
    if (request.epoch !== this.epoch || !this.head) return;
    this.headDone++;
    const requests = this.requestsOf(this.head);
    if (!requests || this.headDone >= requests.length) this.finishHead();
  }

  /**
   * Follows the head to the oldest unit; when the unit being sent went away
   * without its last ack (dropped by a bound, or as corrupt) the request in
   * flight becomes stale.
   */
  private syncHead(): void {
    const offset = this.disk.headOffset;
    const current: Head | undefined = offset !== undefined ? { disk: offset } : this.tail[0] ? { memory: this.tail[0] } : undefined;
    if (sameHead(current, this.head)) return;
    if (this.head) this.epoch++;
    this.head = current;
    this.headDone = 0;
  }

  /** The head's requests, made once; undefined when its block turned out unreadable (dropped, counted). */
  private requestsOf(head: Head): OutgoingBlock[] | undefined {
    if ('memory' in head) return (head.memory.requests ??= this.toRequests([head.memory.cycle]).requests);
    if (this.decoded?.block.offset === head.disk) return this.decoded.requests;
    const block = this.disk.peek();
    // peek skips blocks it finds damaged on disk: the head is then a later one.
    if (!block || block.offset !== head.disk) return undefined;
    if (block.format === 'request') {
      this.decoded = { block, requests: [{ body: block.body, samples: block.samples }], cycleEnds: [] };
      return this.decoded.requests;
    }
    try {
      this.decoded = { block, ...this.toRequests(decodeBlock(block.body)) };
    } catch (err) {
      this.options.log.warn('remote write queue: dropping a block that passed its checksum but does not decode', {
        offset: block.offset,
        samples: block.samples,
        err,
      });
      this.disk.dropCorrupt(block);
      return undefined;
    }
    if (this.resume?.offset === block.offset) {
      const { cycleEnds } = this.decoded;
      this.headDone = Math.max(this.headDone, cycleEnds[Math.min(this.resume.cycles, cycleEnds.length) - 1] ?? 0);
    }
    this.resume = undefined;
    return this.decoded.requests;
  }

  /** The cycles' requests, in order, and after which request each cycle ends. */
  private toRequests(cycles: readonly Cycle[]): { requests: OutgoingBlock[]; cycleEnds: number[] } {
    const { limits } = this.options;
    const requests: OutgoingBlock[] = [];
    const cycleEnds: number[] = [];
    for (const c of cycles) {
      for (const g of c.groups) {
        for (const part of splitIntoBatches(g.series, limits)) requests.push({ body: snappyCompress(encodeWriteRequest(part)), samples: countSamples(part) });
      }
      cycleEnds.push(requests.length);
    }
    return { requests, cycleEnds };
  }

  /** Saves how many cycles of the oldest block on disk were sent, when some were. */
  private saveProgress(): void {
    const head = this.head;
    if (!head || !('disk' in head) || this.decoded?.block.offset !== head.disk) return;
    const cycles = this.decoded.cycleEnds.filter((end) => end <= this.headDone).length;
    if (cycles > 0 && cycles !== this.disk.readerProgress) this.disk.saveReaderProgress(cycles);
  }

  private finishHead(): void {
    const head = this.head;
    if (head && 'disk' in head) {
      if (this.decoded?.block.offset === head.disk) this.disk.ack(this.decoded.block);
      this.decoded = undefined;
    } else if (head && this.tail[0] === head.memory) {
      this.tail.shift();
    }
    this.head = undefined;
    this.headDone = 0;
  }

  private unflushedSamples(): number {
    let n = 0;
    for (const m of this.tail) n += m.samples;
    return n;
  }

  private countMemoryDrop(reason: DropReason, samples: number): void {
    const d = this.memoryDrops[reason];
    d.blocks++;
    d.samples += samples;
  }

  /** The disk queue's figures plus the cycles waiting in memory (each counted as a block). */
  stats(): QueueStats {
    const s = this.disk.stats();
    for (const reason of Object.keys(s.dropped) as DropReason[]) {
      s.dropped[reason].blocks += this.memoryDrops[reason].blocks;
      s.dropped[reason].samples += this.memoryDrops[reason].samples;
    }
    s.pendingSamples += this.unflushedSamples();
    s.pendingBlocks += this.tail.length;
    const oldestInMemory = this.tail[0]?.cycle.createdMs;
    if (oldestInMemory !== undefined && (s.oldestCreatedMs === undefined || oldestInMemory < s.oldestCreatedMs)) s.oldestCreatedMs = oldestInMemory;
    return s;
  }

  get pendingBlocks(): number {
    return this.disk.pendingBlocks + this.tail.length;
  }

  /** Writes what waits in memory, then closes the disk queue; a failed write is logged with what it lost. */
  close(): void {
    try {
      this.saveProgress();
      this.flush();
    } catch (err) {
      this.options.log.error('remote write queue: could not save its state at close; unsent cycles in memory are lost', {
        samples: this.unflushedSamples(),
        err,
      });
    } finally {
      this.tail = [];
      this.disk.close();
    }
  }
}
