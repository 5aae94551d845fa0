/**
 * Every kind of sink. A new kind is one import and one entry here; the
 * config loader then accepts its `[<section>.<name>]` sections.
 */
import type { SinkKind } from './sink.ts';
import { pushgatewayKind } from './pushgateway.ts';
import { remoteWriteKind } from './remote-write/kind.ts';
import { listenerKind } from './listener.ts';

/** Keeps each kind's config type checked where it is defined, and erases it here. */
function erase<C>(kind: SinkKind<C>): SinkKind<unknown> {
  return kind as unknown as SinkKind<unknown>;
}

export const SINK_KINDS: readonly SinkKind<unknown>[] = [erase(pushgatewayKind), erase(remoteWriteKind), erase(listenerKind)];

export function findSinkKind(section: string): SinkKind<unknown> | undefined {
  return SINK_KINDS.find((k) => k.section === section);
}
