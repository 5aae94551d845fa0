import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { readScsiTapes, type Tape } from '../sysfs/scsi-tape.ts';

const IGNORED_OPTION = 'collector.tapestats.ignored-devices';
const NS = 0.000000001;

export const tapestats: CollectorDefinition = {
  name: 'tapestats',
  defaultEnabled: true,
  description: 'Exposes SCSI tape device statistics from /sys/class/scsi_tape.',
  options: [{ name: IGNORED_OPTION, kind: 'regex', default: '^$', help: 'Regexp of devices to ignore for tapestats.' }],
  create: stateless(async ({ paths, options }) => {
    const tapes: Tape[] = await readOrNoData(() => readScsiTapes(paths.sysfs), {
      noData: 'scsi_tape stats not found',
      context: 'error obtaining SCSITape class info',
    });
    const ignored = options.regex(IGNORED_OPTION);
    const out = new FamilySet();
    for (const { name, counters: c } of tapes) {
      if (ignored?.test(name)) continue;
      const device = { device: name };
      out.gauge('node_tape_io_now', 'The number of I/Os currently outstanding to this device.', c.inFlight, device);
      out.counter(
        'node_tape_io_time_seconds_total',
        'The amount of time spent waiting for all I/O to complete (including read and write). This includes tape movement commands such as seeking between file or set marks and implicit tape movement such as when rewind on close tape devices are used.',
        c.ioNs * NS,
        device,
      );
      out.counter(
        'node_tape_io_others_total',
        'The number of I/Os issued to the tape drive other than read or write commands. The time taken to complete these commands uses the following calculation io_time_seconds_total-read_time_seconds_total-write_time_seconds_total',
        c.otherCnt,
        device,
      );
      out.counter('node_tape_read_bytes_total', 'The number of bytes read from the tape drive.', c.readByteCnt, device);
      out.counter('node_tape_reads_completed_total', 'The number of read requests issued to the tape drive.', c.readCnt, device);
      out.counter('node_tape_read_time_seconds_total', 'The amount of time spent waiting for read requests to complete.', c.readNs * NS, device);
      out.counter(
        'node_tape_residual_total',
        'The number of times during a read or write we found the residual amount to be non-zero. This should mean that a program is issuing a read larger thean the block size on tape. For write not all data made it to tape.',
        c.residCnt,
        device,
      );
      out.counter('node_tape_written_bytes_total', 'The number of bytes written to the tape drive.', c.writeByteCnt, device);
      out.counter('node_tape_writes_completed_total', 'The number of write requests issued to the tape drive.', c.writeCnt, device);
      out.counter('node_tape_write_time_seconds_total', 'The amount of time spent waiting for write requests to complete.', c.writeNs * NS, device);
    }
    return out.toArray();
  }),
};
