import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { parseDecimalFloat, parseGoInt } from '../kernel-files/parse.ts';

/** What procfs reads with strconv.ParseUint(s, 0, 32): prefixes allowed, 32 bits. */
function parseUint32(text: string, where: string): number {
  const v = parseGoInt(text, where, true);
  if (v > 0xffffffff) throw new Error(`${where}: value out of range: ${text}`);
  return v;
}

/** The /proc/cpuinfo fields node_exporter's cpu collector uses, per logical CPU. */
export interface CpuInfo {
  processor: number;
  vendorId: string;
  cpuFamily: string;
  model: string;
  modelName: string;
  stepping: string;
  microcode: string;
  cpuMHz: number;
  cacheSize: string;
  physicalId: string;
  coreId: string;
  flags: string[];
  bugs: string[];
}

function emptyInfo(processor: number): CpuInfo {
  return {
    processor,
    vendorId: '',
    cpuFamily: '',
    model: '',
    modelName: '',
    stepping: '',
    microcode: '',
    cpuMHz: 0,
    cacheSize: '',
    physicalId: '',
    coreId: '',
    flags: [],
    bugs: [],
  };
}

/** "key<TAB>: value" → [trimmed key, value as is]; lines without ": " give an undefined value. */
function splitField(line: string): [string, string | undefined] {
  const at = line.indexOf(': ');
  if (at === -1) return [line.trim(), undefined];
  return [line.slice(0, at).trim(), line.slice(at + 2)];
}

function requireValue(value: string | undefined, key: string, file: string): string {
  if (value === undefined) throw new Error(`${file}: ${key} line has no value`);
  return value;
}

/** x86 /proc/cpuinfo: one block per logical CPU, each starting with "processor". */
function parseCpuInfoX86(text: string, file = '/proc/cpuinfo'): CpuInfo[] {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  const firstLine = first === -1 ? '' : lines[first]!;
  if (!firstLine.startsWith('processor') || !firstLine.includes(':')) throw new Error(`${file}: cannot parse line ${JSON.stringify(firstLine.slice(0, 60))}`);
  const cpus: CpuInfo[] = [];
  for (const line of lines.slice(first)) {
    if (!line.includes(':')) continue;
    const [key, raw] = splitField(line);
    const value = (): string => requireValue(raw, key, file);
    if (key === 'processor') {
      cpus.push(emptyInfo(parseUint32(value(), `${file} processor`)));
      continue;
    }
    const cpu = cpus.at(-1)!;
    switch (key) {
      case 'vendor':
      case 'vendor_id':
        cpu.vendorId = value();
        break;
      case 'cpu family':
        cpu.cpuFamily = value();
        break;
      case 'model':
        cpu.model = value();
        break;
      case 'model name':
        cpu.modelName = value();
        break;
      case 'stepping':
        cpu.stepping = value();
        break;
      case 'microcode':
        cpu.microcode = value();
        break;
      case 'cpu MHz':
        cpu.cpuMHz = parseDecimalFloat(value(), `${file} processor ${cpu.processor} cpu MHz`);
        break;
      case 'cache size':
        cpu.cacheSize = value();
        break;
      case 'physical id':
        cpu.physicalId = value();
        break;
      case 'core id':
        cpu.coreId = value();
        break;
      case 'flags':
        cpu.flags = value()
          .trim()
          .split(/\s+/)
          .filter((f) => f !== '');
        break;
      case 'bugs':
        cpu.bugs = value()
          .trim()
          .split(/\s+/)
          .filter((f) => f !== '');
        break;
      case 'siblings':
      case 'cpu cores':
      case 'cpuid level':
      case 'clflush size':
      case 'cache_alignment':
        // Not exported, but procfs rejects garbled ones, so do we.
        parseUint32(value(), `${file} processor ${cpu.processor} ${key}`);
        break;
      case 'bogomips':
        parseDecimalFloat(value(), `${file} processor ${cpu.processor} bogomips`);
        break;
    }
  }
  return cpus;
}

/**
 * ARM /proc/cpuinfo: "processor : N" blocks with BogoMIPS, and one
 * "Features" line (or per block) taken as every CPU's flags. Old 32-bit
 * kernels start with "Processor : <model name>" and list a single CPU.
 */
export function parseCpuInfoArm(text: string, file = '/proc/cpuinfo'): CpuInfo[] {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  const firstLine = first === -1 ? '' : lines[first]!;
  if (!/^[Pp]rocessor/.test(firstLine) || !firstLine.includes(':')) throw new Error(`${file}: cannot parse line ${JSON.stringify(firstLine.slice(0, 60))}`);
  const cpus: CpuInfo[] = [];
  let common = emptyInfo(0);
  let features: string | undefined;
  const [firstKey, firstValue] = splitField(firstLine);
  if (firstKey === 'Processor') common = { ...common, modelName: requireValue(firstValue, firstKey, file) };
  else cpus.push({ ...common, processor: parseUint32(requireValue(firstValue, firstKey, file), `${file} processor`) });
  for (const line of lines.slice(first + 1)) {
    if (!line.includes(':')) continue;
    const [key, raw] = splitField(line);
    switch (key) {
      case 'processor':
        cpus.push({ ...common, flags: [], bugs: [], processor: parseUint32(requireValue(raw, key, file), `${file} processor`) });
        break;
      case 'BogoMIPS':
        if (cpus.length === 0) cpus.push({ ...common, flags: [], bugs: [], processor: 0 });
        parseDecimalFloat(requireValue(raw, key, file), `${file} BogoMIPS`);
        break;
      case 'Features':
        features = requireValue(raw, key, file);
        break;
      case 'model name':
        if (cpus.length === 0) throw new Error(`${file}: model name before any processor`);
        cpus.at(-1)!.modelName = requireValue(raw, key, file);
        break;
    }
  }
  if (features === undefined) throw new Error(`${file}: no Features line`);
  const flags = features
    .trim()
    .split(/\s+/)
    .filter((f) => f !== '');
  for (const cpu of cpus) cpu.flags = [...flags];
  return cpus;
}

/**
 * Parses /proc/cpuinfo with the layout of the machine that wrote it. procfs
 * picks the parser by the architecture it was compiled for; choosing by
 * content gives the same result on a live host and lets the x86 fixtures
 * be tested on an arm64 machine.
 */
export function parseCpuInfo(text: string, file = '/proc/cpuinfo'): CpuInfo[] {
  const arm = /^Features\s*:/m.test(text) && !/^flags\s*:/m.test(text);
  return arm ? parseCpuInfoArm(text, file) : parseCpuInfoX86(text, file);
}

export async function readCpuInfo(procfs: string): Promise<CpuInfo[]> {
  const file = path.join(procfs, 'cpuinfo');
  return parseCpuInfo(await readText(file), file);
}
