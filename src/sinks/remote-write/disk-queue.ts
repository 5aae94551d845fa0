/**
 * A durable FIFO of blocks (compressed WriteRequests) on disk, one per
 * remote-write URL, in the spirit of vmagent's persistentqueue:
 *
 *   <dir>/0000000000000000, 0000000000a00000, ...   chunk files, named by the
 *       offset of their first byte in the queue's endless byte stream (hex)
 *   <dir>/meta.json   {"version":1,"readerOffset":N[,"readerDone":K]}, replaced atomically
 *       (readerDone: how far the reader's user got inside the block at N, its unit its own)
 *   <dir>/lock        who uses the queue (queue-lock.ts)
 *
 * A record is `u32 length | u32 crc32(payload) | payload`, the payload being
 * `u8 version | f64 createdMs | u32 samples | body` (little endian); version
 * 1's body is one compressed WriteRequest (all records before the compact
 * format), version 2's a compact block of cycles (compact-block.ts).
 *
 * Durability: an append writes its records then fdatasyncs the chunk once; a
 * new chunk is fsynced with its directory before it is trusted. The reader
 * position is persisted after every acknowledged block (write to a temporary
 * file, fsync, rename), so a crash re-sends at most the block in flight.
 * Recovery re-reads every chunk, stops at the first record whose length or
 * checksum is wrong, truncates the chunk there and deletes every later chunk:
 * nothing after the last good record is trusted.
 *
 * Bounds: the chunk files' total size (oldest chunks are dropped whole) and
 * the age of a block (expired blocks are dropped instead of sent). Every drop
 * is counted by reason.
 *
 * The I/O is synchronous on purpose: appends happen once per cycle and are a
 * few kilobytes, and a synchronous sequence is what makes the crash semantics
 * above easy to see.
 */
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { createLogger, type Logger } from '../../log.ts';
import { QueueLock } from './queue-lock.ts';

const RECORD_HEADER = 8;
const PAYLOAD_HEADER = 13;
/** Payload versions: what the body is. */
const RECORD_VERSION: Record<BlockFormat, number> = { request: 1, cycles: 2 };
const FORMAT_OF_VERSION: ReadonlyMap<number, BlockFormat> = new Map([
  [1, 'request'],
  [2, 'cycles'],
]);
const CHUNK_NAME_RE = /^[0-9a-f]{16}$/;
const META_FILE = 'meta.json';
/** Smallest chunk size the queue shrinks to after a full disk. */
const MIN_CHUNK_ON_FULL_DISK = 4096;
/** Sanity bound for a length field read from disk (a garbled length must not allocate gigabytes). */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export interface DiskQueueOptions {
  dir: string;
  /** Bound on the total size of the chunk files; oldest chunks are dropped first to stay under it. */
  maxBytes: number;
  /** Blocks older than this are dropped rather than sent; 0 keeps them forever. */
  maxAgeMs: number;
  /** Size at which the writer starts a new chunk; default maxBytes/16 within [64 KiB, 64 MiB], at most maxBytes/4. */
  chunkBytes?: number;
  now?: () => number;
  log?: Logger;
}

/**
 * What a block's body is: a compressed WriteRequest sent as is (what every
 * block was before the compact format, so a queue written then is still
 * delivered after an upgrade), or cycles in compact-block.ts's format.
 */
type BlockFormat = 'request' | 'cycles';

export interface NewBlock {
  body: Buffer;
  /** Default: request. */
  format?: BlockFormat;
  samples: number;
  /** When the data was collected; the age bound counts from here. Default: now. */
  createdMs?: number;
}

export interface QueuedBlock {
  offset: number;
  format: BlockFormat;
  createdMs: number;
  samples: number;
  body: Buffer;
}

export type DropReason = 'size' | 'age' | 'corrupt' | 'disk_full';

export interface QueueStats {
  /** Total size of the chunk files. */
  diskBytes: number;
  /** Bytes of records not yet acknowledged. */
  pendingBytes: number;
  pendingBlocks: number;
  pendingSamples: number;
  /** createdMs of the oldest pending block, undefined when empty. */
  oldestCreatedMs: number | undefined;
  dropped: Record<DropReason, { blocks: number; samples: number; bytes: number }>;
  /** Bytes discarded by recovery (a torn tail or a corrupt record and everything after it). */
  recoveredTruncatedBytes: number;
  /** The filesystem was full at the last append (before the size bound was reached). */
  diskFull: boolean;
}

interface RecordInfo {
  offset: number;
  /** Record size on disk, header included. */
  size: number;
  createdMs: number;
  samples: number;
}

interface Chunk {
  offset: number;
  size: number;
}

function chunkFileName(offset: number): string {
  return offset.toString(16).padStart(16, '0');
}

function encodeRecord(block: NewBlock, createdMs: number): Buffer {
  const payloadLength = PAYLOAD_HEADER + block.body.length;
  const buf = Buffer.allocUnsafe(RECORD_HEADER + payloadLength);
  buf.writeUInt32LE(payloadLength, 0);
  buf.writeUInt8(RECORD_VERSION[block.format ?? 'request'], 8);
  buf.writeDoubleLE(createdMs, 9);
  buf.writeUInt32LE(block.samples, 17);
  block.body.copy(buf, RECORD_HEADER + PAYLOAD_HEADER);
  buf.writeUInt32LE(crc32(buf.subarray(RECORD_HEADER)), 4);
  return buf;
}

/** Parses the record at `pos` of `data`; undefined when it is torn or corrupt. */
function parseRecord(data: Buffer, pos: number): { size: number; format: BlockFormat; createdMs: number; samples: number } | undefined {
  if (pos + RECORD_HEADER > data.length) return undefined;
  const payloadLength = data.readUInt32LE(pos);
  if (payloadLength < PAYLOAD_HEADER || payloadLength > MAX_RECORD_BYTES) return undefined;
  const end = pos + RECORD_HEADER + payloadLength;
  if (end > data.length) return undefined;
  const payload = data.subarray(pos + RECORD_HEADER, end);
  if (crc32(payload) !== data.readUInt32LE(pos + 4)) return undefined;
  const format = FORMAT_OF_VERSION.get(payload.readUInt8(0));
  if (!format) return undefined;
  const createdMs = payload.readDoubleLE(1);
  if (!Number.isFinite(createdMs)) return undefined;
  return { size: RECORD_HEADER + payloadLength, format, createdMs, samples: payload.readUInt32LE(9) };
}

/** Where the record that spans `pos` starts, scanning from the chunk's start; undefined when `pos` is a record boundary or a damaged record comes first. */
function recordStartSpanning(data: Buffer, pos: number): number | undefined {
  for (let at = 0; at < pos; ) {
    const rec = parseRecord(data, at);
    if (!rec) return undefined;
    if (at + rec.size > pos) return at;
    at += rec.size;
  }
  return undefined;
}

function isDiskFull(err: unknown): boolean {
  const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function emptyDrops(): QueueStats['dropped'] {
  return {
    size: { blocks: 0, samples: 0, bytes: 0 },
    age: { blocks: 0, samples: 0, bytes: 0 },
    corrupt: { blocks: 0, samples: 0, bytes: 0 },
    disk_full: { blocks: 0, samples: 0, bytes: 0 },
  };
}

export function emptyQueueStats(): QueueStats {
  return {
    diskBytes: 0,
    pendingBytes: 0,
    pendingBlocks: 0,
    pendingSamples: 0,
    oldestCreatedMs: undefined,
    dropped: emptyDrops(),
    recoveredTruncatedBytes: 0,
    diskFull: false,
  };
}

export class DiskQueue {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private chunkBytes: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private chunks: Chunk[] = [];
  /** Pending records, oldest first, from index `head`. */
  private records: RecordInfo[] = [];
  private head = 0;
  private pendingSamples = 0;
  private writerFd: number | undefined;
  private readerFd: { offset: number; fd: number } | undefined;
  private readonly dropped = emptyDrops();
  private recoveredTruncatedBytes = 0;
  private closed = false;
  /** Size of the chunk files when the filesystem was last found full; undefined when it has room. */
  private fullAtBytes: number | undefined;
  private lock: QueueLock | undefined;
  /** Progress inside the block at `offset`, kept while that block is the oldest pending. */
  private readerDone: { offset: number; done: number } | undefined;

  private constructor(options: DiskQueueOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.maxAgeMs = options.maxAgeMs;
    // Small enough that dropping the oldest chunk frees a fraction of the bound, large enough to keep files few.
    this.chunkBytes =
      options.chunkBytes ?? Math.max(1, Math.min(64 << 20, Math.max(64 << 10, Math.floor(options.maxBytes / 16)), Math.floor(options.maxBytes / 4)));
    this.now = options.now ?? Date.now;
    this.log = (options.log ?? createLogger()).child({ queue: this.dir });
    if (!(this.maxBytes > 0)) throw new Error(`disk queue ${this.dir}: maxBytes must be positive, got ${this.maxBytes}`);
    if (!(this.chunkBytes > 0)) throw new Error(`disk queue ${this.dir}: chunkBytes must be positive, got ${this.chunkBytes}`);
  }

  /** Opens (creating if needed) the queue in `options.dir`, recovering from whatever a crash left there. */
  static open(options: DiskQueueOptions): DiskQueue {
    const q = new DiskQueue(options);
    mkdirSync(q.dir, { recursive: true });
    q.lock = QueueLock.acquire(q.dir);
    try {
      q.recover();
    } catch (err) {
      // A queue that failed to open (read-only or full disk) must not keep the directory locked for its next try.
      q.close();
      throw err;
    }
    return q;
  }

  private recover(): void {
    rmSync(path.join(this.dir, META_FILE + '.tmp'), { force: true });
    const names = readdirSync(this.dir)
      .filter((n) => CHUNK_NAME_RE.test(n))
      .sort();
    const meta = this.readMeta();
    let readerOffset = meta.readerOffset;
    // The written range as found, before recovery cuts anything: a reader beyond it is not one this queue wrote.
    const foundEnd = Math.max(0, ...names.map((n) => parseInt(n, 16) + statSync(path.join(this.dir, n)).size));
    if (names.length > 0 && readerOffset > foundEnd) {
      const oldest = parseInt(names[0]!, 16);
      this.log.warn('remote write queue: meta.json puts the reader beyond the written data; sending again from the oldest record kept', {
        reader_offset: readerOffset,
        written_end: foundEnd,
        from: oldest,
      });
      readerOffset = oldest;
    }
    let expected: number | undefined;
    let untrusted = false;
    for (const name of names) {
      const file = path.join(this.dir, name);
      const offset = parseInt(name, 16);
      if (untrusted || (expected !== undefined && offset !== expected)) {
        // A gap or overlap between chunks: nothing from here on can be trusted.
        this.recoveredTruncatedBytes += statSync(file).size;
        rmSync(file);
        untrusted = true;
        continue;
      }
      const data = readFileSync(file);
      // Records before the reader position were already delivered; start at it when it falls in this chunk.
      let pos = readerOffset > offset && readerOffset < offset + data.length ? readerOffset - offset : 0;
      const spanning = pos > 0 && !parseRecord(data, pos) ? recordStartSpanning(data, pos) : undefined;
      if (spanning !== undefined) {
        // Not a damaged record at the reader but a reader in the middle of a good one: resend that record rather than cut the chunk there.
        this.log.warn("remote write queue: meta.json puts the reader inside a record; sending again from that record's start", {
          reader_offset: readerOffset,
          from: offset + spanning,
        });
        readerOffset = offset + spanning;
        pos = spanning;
      }
      while (pos < data.length) {
        const rec = parseRecord(data, pos);
        if (!rec) break;
        if (offset + pos >= readerOffset) this.records.push({ offset: offset + pos, size: rec.size, createdMs: rec.createdMs, samples: rec.samples });
        pos += rec.size;
      }
      if (pos < data.length) {
        this.recoveredTruncatedBytes += data.length - pos;
        const fd = openSync(file, 'r+');
        try {
          ftruncateSync(fd, pos);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        untrusted = true;
      }
      this.chunks.push({ offset, size: pos });
      expected = offset + pos;
    }
    // Chunks wholly before the reader are leftovers of a crash between an ack and a delete.
    while (this.chunks.length > 1 && this.chunks[0]!.offset + this.chunks[0]!.size <= this.readerOffset()) {
      rmSync(path.join(this.dir, chunkFileName(this.chunks.shift()!.offset)));
    }
    for (const r of this.records) this.pendingSamples += r.samples;
    // Progress inside a block only means something for the very block the metadata named.
    if (meta.readerDone > 0 && this.records[0]?.offset === meta.readerOffset) this.readerDone = { offset: meta.readerOffset, done: meta.readerDone };
    if (this.recoveredTruncatedBytes > 0) fsyncDir(this.dir);
    this.writeMeta();
  }

  private readMeta(): { readerOffset: number; readerDone: number } {
    try {
      const meta = JSON.parse(readFileSync(path.join(this.dir, META_FILE), 'utf8')) as { version?: unknown; readerOffset?: unknown; readerDone?: unknown };
      const valid = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
      if (meta.version === 1 && valid(meta.readerOffset)) return { readerOffset: meta.readerOffset, readerDone: valid(meta.readerDone) ? meta.readerDone : 0 };
    } catch {
      // Missing or garbled metadata: start from the oldest chunk (re-sending is better than losing).
    }
    return { readerOffset: 0, readerDone: 0 };
  }

  /** How far the reader's user got inside the oldest pending block, as saved by `saveReaderProgress` (0 when nothing was saved for it). */
  get readerProgress(): number {
    return this.readerDone !== undefined && this.readerDone.offset === this.headOffset ? this.readerDone.done : 0;
  }

  /**
   * Persists how far the reader's user got inside the oldest pending block
   * (its own unit), so a restart does not send that part again; forgotten
   * once that block is acknowledged or dropped.
   */
  saveReaderProgress(done: number): void {
    this.assertOpen();
    const offset = this.headOffset;
    if (offset === undefined) return;
    this.readerDone = { offset, done };
    this.writeMeta();
  }

  private writeMeta(): void {
    const file = path.join(this.dir, META_FILE);
    const tmp = file + '.tmp';
    const fd = openSync(tmp, 'w');
    try {
      const readerOffset = this.readerOffset();
      const readerDone = this.readerDone?.offset === readerOffset ? this.readerDone.done : 0;
      writeSync(fd, JSON.stringify({ version: 1, readerOffset, ...(readerDone > 0 ? { readerDone } : {}) }) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }

  /** Offset of the next unacknowledged record (the writer's end when there is none). */
  private readerOffset(): number {
    const r = this.records[this.head];
    if (r) return r.offset;
    return this.writerEnd();
  }

  private writerEnd(): number {
    const last = this.chunks.at(-1);
    return last ? last.offset + last.size : 0;
  }

  private diskBytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.size;
    return n;
  }

  /**
   * Appends blocks durably (one fdatasync for the lot). Oldest chunks are
   * dropped first to make room; a block larger than the whole bound is dropped.
   */
  append(blocks: readonly NewBlock[]): void {
    this.assertOpen();
    if (blocks.length === 0) return;
    const now = this.now();
    let wrote = false;
    for (const block of blocks) {
      const createdMs = block.createdMs ?? now;
      const record = encodeRecord(block, createdMs);
      if (record.length > this.maxBytes) {
        this.countDrop('size', 1, block.samples, record.length);
        continue;
      }
      this.makeRoom(record.length);
      const chunk = this.writeRecord(record);
      this.records.push({ offset: chunk.offset + chunk.size, size: record.length, createdMs, samples: block.samples });
      this.pendingSamples += block.samples;
      chunk.size += record.length;
      wrote = true;
    }
    if (wrote) fdatasyncSync(this.writerFd!);
    this.noteRoomAgain();
  }

  /**
   * Writes one record to the writer's chunk and returns that chunk. A
   * filesystem full before the size bound is reached is the same promise
   * broken (the newest data must get in): the oldest chunk is dropped, counted
   * as disk_full, and the write tried again until it fits or nothing older is left.
   */
  private writeRecord(record: Buffer): Chunk {
    for (;;) {
      const fd = this.writerFdFor(record.length);
      const chunk = this.chunks.at(-1)!;
      try {
        this.writeAll(fd, record, chunk);
        return chunk;
      } catch (err) {
        const older = this.diskBytes();
        if (!isDiskFull(err) || older === 0) throw err;
        this.noteDiskFull(older);
        // What fits is now known: smaller chunks make the next drops lose less than the whole backlog.
        this.chunkBytes = Math.min(this.chunkBytes, Math.max(MIN_CHUNK_ON_FULL_DISK, Math.floor(older / 16)));
        this.dropOldestChunk('disk_full');
        this.compact();
        this.writeMeta();
      }
    }
  }

  /** Logs when the filesystem starts being full, not at every drop while it stays so. */
  private noteDiskFull(bytes: number): void {
    if (this.fullAtBytes === undefined)
      this.log.warn('remote write queue: filesystem full before queue_max_size; dropping the oldest data to make room', { queue_bytes: bytes });
    this.fullAtBytes = bytes;
  }

  /**
   * A full filesystem stays "full" while the queue hovers just under the size
   * that filled it (each drop frees one chunk, which the next appends fill
   * again); it has room again once the queue outgrows that size or the backlog
   * drains to half of it.
   */
  private noteRoomAgain(): void {
    if (this.fullAtBytes === undefined) return;
    const bytes = this.diskBytes();
    if (bytes <= this.fullAtBytes && bytes >= this.fullAtBytes / 2) return;
    this.fullAtBytes = undefined;
    this.log.info('remote write queue: filesystem has room again', { queue_bytes: bytes, disk_full_dropped_samples_total: this.dropped.disk_full.samples });
  }

  /**
   * Writes the whole record, or on failure (disk full, I/O error) cuts the
   * chunk back to its last complete record, so the next append does not land
   * after half a record.
   */
  private writeAll(fd: number, record: Buffer, chunk: Chunk): void {
    try {
      let done = 0;
      while (done < record.length) done += writeSync(fd, record, done, record.length - done);
    } catch (err) {
      try {
        ftruncateSync(fd, chunk.size);
      } catch {
        // Recovery on the next start truncates the torn record anyway.
      }
      throw new Error(`disk queue ${this.dir}: appending to chunk ${chunkFileName(chunk.offset)}: ${(err as Error).message}`, { cause: err });
    }
  }

  private makeRoom(bytes: number): void {
    let droppedAny = false;
    while (this.chunks.length > 0 && this.diskBytes() + bytes > this.maxBytes) {
      this.dropOldestChunk('size');
      droppedAny = true;
    }
    if (droppedAny) {
      this.compact();
      this.writeMeta();
    }
  }

  /** Deletes the oldest chunk (the writer moves to a new one first if it is the only one), counting its pending blocks. */
  private dropOldestChunk(reason: DropReason): void {
    if (this.chunks.length === 1) this.rotate();
    const oldest = this.chunks.shift()!;
    const end = oldest.offset + oldest.size;
    let blocks = 0;
    let samples = 0;
    let size = 0;
    while (this.head < this.records.length && this.records[this.head]!.offset < end) {
      const r = this.records[this.head++]!;
      blocks++;
      samples += r.samples;
      size += r.size;
    }
    this.pendingSamples -= samples;
    if (blocks > 0) this.countDrop(reason, blocks, samples, size);
    this.closeReaderIf(oldest.offset);
    rmSync(path.join(this.dir, chunkFileName(oldest.offset)), { force: true });
  }

  /** Closes the current chunk so the next append starts a new one. */
  private rotate(): void {
    if (this.writerFd !== undefined) {
      fsyncSync(this.writerFd);
      closeSync(this.writerFd);
      this.writerFd = undefined;
    }
    const offset = this.writerEnd();
    this.chunks.push({ offset, size: 0 });
    closeSync(openSync(path.join(this.dir, chunkFileName(offset)), 'wx'));
    fsyncDir(this.dir);
  }

  private writerFdFor(recordBytes: number): number {
    const last = this.chunks.at(-1);
    if (!last || (last.size > 0 && last.size + recordBytes > this.chunkBytes)) this.rotate();
    if (this.writerFd === undefined) this.writerFd = openSync(path.join(this.dir, chunkFileName(this.chunks.at(-1)!.offset)), 'a');
    return this.writerFd;
  }

  /** Drops pending blocks older than the age bound; returns how many. */
  dropExpired(): number {
    this.assertOpen();
    if (this.maxAgeMs <= 0) return 0;
    const cutoff = this.now() - this.maxAgeMs;
    let blocks = 0;
    while (this.head < this.records.length && this.records[this.head]!.createdMs < cutoff) {
      const r = this.records[this.head++]!;
      this.pendingSamples -= r.samples;
      this.countDrop('age', 1, r.samples, r.size);
      blocks++;
    }
    if (blocks > 0) this.afterReaderMoved();
    return blocks;
  }

  /** The oldest pending block, read from disk, or undefined when the queue is empty. */
  peek(): QueuedBlock | undefined {
    this.assertOpen();
    for (;;) {
      const r = this.records[this.head];
      if (!r) return undefined;
      const chunk = this.chunkOf(r.offset);
      const buf = Buffer.allocUnsafe(r.size);
      const fd = this.readerFdFor(chunk.offset);
      const n = readSync(fd, buf, 0, r.size, r.offset - chunk.offset);
      const parsed = n === r.size ? parseRecord(buf, 0) : undefined;
      if (parsed && parsed.size === r.size) {
        return { offset: r.offset, format: parsed.format, createdMs: r.createdMs, samples: r.samples, body: buf.subarray(RECORD_HEADER + PAYLOAD_HEADER) };
      }
      // The disk changed under us since it was written or recovered: skip the record, counted.
      this.dropHeadAsCorrupt();
    }
  }

  /** Gives up on the block `peek` returned, counted as corrupt: it passed its checksum, yet its body does not decode. */
  dropCorrupt(block: QueuedBlock): void {
    this.assertOpen();
    if (this.records[this.head]?.offset === block.offset) this.dropHeadAsCorrupt();
  }

  private dropHeadAsCorrupt(): void {
    const r = this.records[this.head++]!;
    this.pendingSamples -= r.samples;
    this.countDrop('corrupt', 1, r.samples, r.size);
    this.afterReaderMoved();
  }

  /**
   * Acknowledges the block `peek` returned (sent, or dropped for good) and
   * persists the reader position. A block the size bound dropped meanwhile is
   * already gone: its ack is a no-op.
   */
  ack(block: QueuedBlock): void {
    this.assertOpen();
    const r = this.records[this.head];
    // The size bound may have dropped the block while it was in flight: nothing left to acknowledge.
    if (!r || r.offset > block.offset) return;
    if (r.offset !== block.offset) throw new Error(`disk queue ${this.dir}: ack of block at ${block.offset} but the oldest pending is at ${r.offset}`);
    this.head++;
    this.pendingSamples -= r.samples;
    this.afterReaderMoved();
  }

  /** Persists the reader and deletes the chunks it has left behind (never the writer's). */
  private afterReaderMoved(): void {
    const reader = this.readerOffset();
    let removed = false;
    while (this.chunks.length > 1 && this.chunks[0]!.offset + this.chunks[0]!.size <= reader) {
      const c = this.chunks.shift()!;
      this.closeReaderIf(c.offset);
      rmSync(path.join(this.dir, chunkFileName(c.offset)), { force: true });
      removed = true;
    }
    this.writeMeta();
    if (removed) fsyncDir(this.dir);
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }

  private chunkOf(offset: number): Chunk {
    for (const c of this.chunks) if (offset >= c.offset && offset < c.offset + c.size) return c;
    throw new Error(`disk queue ${this.dir}: no chunk holds offset ${offset}`);
  }

  private readerFdFor(chunkOffset: number): number {
    if (this.readerFd?.offset === chunkOffset) return this.readerFd.fd;
    if (this.readerFd) closeSync(this.readerFd.fd);
    this.readerFd = { offset: chunkOffset, fd: openSync(path.join(this.dir, chunkFileName(chunkOffset)), 'r') };
    return this.readerFd.fd;
  }

  private closeReaderIf(chunkOffset: number): void {
    if (this.readerFd?.offset === chunkOffset) {
      closeSync(this.readerFd.fd);
      this.readerFd = undefined;
    }
  }

  private countDrop(reason: DropReason, blocks: number, samples: number, bytes: number): void {
    const d = this.dropped[reason];
    d.blocks += blocks;
    d.samples += samples;
    d.bytes += bytes;
  }

  stats(): QueueStats {
    let pendingBytes = 0;
    for (let i = this.head; i < this.records.length; i++) pendingBytes += this.records[i]!.size;
    return {
      diskBytes: this.diskBytes(),
      pendingBytes,
      pendingBlocks: this.records.length - this.head,
      pendingSamples: this.pendingSamples,
      oldestCreatedMs: this.records[this.head]?.createdMs,
      dropped: structuredClone(this.dropped),
      recoveredTruncatedBytes: this.recoveredTruncatedBytes,
      diskFull: this.fullAtBytes !== undefined,
    };
  }

  /** Offset of the oldest pending block (what `peek` would read), undefined when none. */
  get headOffset(): number | undefined {
    return this.records[this.head]?.offset;
  }

  get pendingBlocks(): number {
    return this.records.length - this.head;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.writerFd !== undefined) {
        fsyncSync(this.writerFd);
        closeSync(this.writerFd);
      }
      if (this.readerFd) closeSync(this.readerFd.fd);
    } finally {
      this.writerFd = undefined;
      this.readerFd = undefined;
      this.lock?.release();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`disk queue ${this.dir} is closed`);
  }
}
