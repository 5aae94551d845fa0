/**
 * Rendezvous (highest-random-weight) hashing: every box ranks the gateways of
 * a tier by a hash of (gateway, box identity) and pushes to the first. Each
 * box's ranking is its own and needs no coordination; adding a gateway moves
 * only the boxes that rank it first (about 1/N of them), and removing one moves
 * only its own boxes, each to its own second choice, so its load spreads evenly.
 */
import { createHash } from 'node:crypto';
import type { Labels } from '../model/family.ts';

/** The box's identity as one stable string: label names sorted, so the order of [labels] does not matter. */
export function identityKey(identity: Labels): string {
  return Object.keys(identity)
    .sort()
    .map((name) => `${name}=${JSON.stringify(identity[name])}`)
    .join(',');
}

/** 64 bits of sha256: a stable weight (the same on every box, release and platform), uniform enough for ranking. */
function weight(member: string, key: string): bigint {
  return createHash('sha256').update(`${member}\n${key}`).digest().readBigUInt64BE(0);
}

/** `members` ranked for `key`, best first; ties (practically never) broken by the member itself, so the order is total. */
export function rendezvousOrder(members: readonly string[], key: string): string[] {
  return members
    .map((member) => ({ member, w: weight(member, key) }))
    .sort((a, b) => (a.w === b.w ? (a.member < b.member ? -1 : 1) : a.w > b.w ? -1 : 1))
    .map((x) => x.member);
}
