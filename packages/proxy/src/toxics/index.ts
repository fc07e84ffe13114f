import type { ToxicType } from '../toxic-type.js';
import { bandwidthToxic } from './bandwidth.js';
import { duplicateToxic, lossToxic } from './datagram.js';
import { httpAbortToxic, httpBodyToxic, httpDelayToxic, httpHeaderToxic, httpStatusToxic } from './http.js';
import { latencyToxic } from './latency.js';
import { limitDataToxic } from './limit-data.js';
import { noopToxic } from './noop.js';
import { resetPeerToxic } from './reset-peer.js';
import { slicerToxic } from './slicer.js';
import { slowCloseToxic } from './slow-close.js';
import { timeoutToxic } from './timeout.js';

/** Every toxic type by its wire name: Toxiproxy's seven (and noop), UDP's loss/duplicate, the HTTP ones. */
export const TOXIC_TYPES: ReadonlyMap<string, ToxicType> = new Map(
  [
    noopToxic,
    latencyToxic,
    bandwidthToxic,
    slowCloseToxic,
    timeoutToxic,
    resetPeerToxic,
    slicerToxic,
    limitDataToxic,
    lossToxic,
    duplicateToxic,
    httpStatusToxic,
    httpDelayToxic,
    httpAbortToxic,
    httpBodyToxic,
    httpHeaderToxic,
  ].map((t) => [t.type, t as ToxicType]),
);
