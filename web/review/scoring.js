// @ts-check
// Scores a folder's photos in the review worker (review-worker.js), a batch
// at a time with the next batch already queued, so the worker never waits
// for the page; reports progress with a rate and an estimate of the time left.

import { ClassifierClient } from '../facegender/classifier-client.js';

/** Photos per message to a worker: one model run per batch. */
export const BATCH_SIZE = 16;
/** Batches queued at each worker, so it never waits for the page. */
const AHEAD = 2;

/**
 * How many workers read photos at once: one per core, at most 4 (each holds
 * its own core, detector and model; the page's own thread only draws).
 * ?workers=N in the page's address overrides it.
 */
export function defaultWorkerCount() {
  const asked = Number(new URLSearchParams(globalThis.location?.search ?? '').get('workers'));
  if (Number.isInteger(asked) && asked >= 1 && asked <= 16) return asked;
  return Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency || 1));
}

/**
 * Starts `count` review workers and loads the core, the detector and the
 * model in each: {clients, classNames, rules, backendName, backendNote}.
 * @param {(text: string) => void} onProgress
 * @param {{backend: string, threads: number, model: string | null}} options
 * @param {number} count
 */
export async function loadScorer(onProgress, options, count = defaultWorkerCount()) {
  const workers = Array.from({ length: count }, () =>
    new Worker(new URL('./review-worker.js', import.meta.url), { type: 'module' }));
  const clients = workers.map((worker, i) => new ClassifierClient(worker, i === 0 ? onProgress : () => {}));
  try {
    const infos = await Promise.all(clients.map((client) => client.call('load', options)));
    return { clients, ...infos[0] };
  } catch (error) {
    for (const worker of workers) worker.terminate();
    throw error;
  }
}

/**
 * "3 min 20 s" from seconds.
 * @param {number} seconds
 */
export function durationText(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * Progress so far: {done, total, rate (photos/s), etaSeconds}.
 * @param {number} done
 * @param {number} total
 * @param {number} elapsedMs
 */
export function progressOf(done, total, elapsedMs) {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  return { done, total, rate, etaSeconds: rate > 0 ? (total - done) / rate : Infinity };
}

/** The worker's time so far (ms) by stage: hash, decode, detect (and check), thumbnail, the model. */
/** @type {Record<string, number>} */
export const workerTimings = {};

/**
 * Scores `items` ({index, file, path}) on every client, a batch at a time
 * each, and calls onBatch(photos, progress) for each batch as it comes back;
 * stops handing out batches when shouldStop() turns true. Resolves when
 * every batch handed out is back.
 * @param {ClassifierClient[]} clients
 * @param {{index: number, file: File, path: string}[]} items
 * @param {(photos: any[], progress: ReturnType<typeof progressOf>) => void} onBatch
 * @param {() => boolean} [shouldStop]
 */
export async function scoreAll(clients, items, onBatch, shouldStop = () => false) {
  const started = performance.now();
  const batches = [];
  for (let i = 0; i < items.length; i += BATCH_SIZE) batches.push(items.slice(i, i + BATCH_SIZE));
  let next = 0;
  let done = 0;
  const feed = async (/** @type {ClassifierClient} */ client) => {
    /** @type {Promise<any>[]} */
    const queued = [];
    const fill = () => {
      while (queued.length < AHEAD && next < batches.length && !shouldStop()) {
        queued.push(client.call('score', { items: batches[next] }));
        next += 1;
      }
    };
    fill();
    while (queued.length > 0) {
      const { photos, timings } = await /** @type {Promise<any>} */ (queued.shift());
      fill();
      done += photos.length;
      for (const [stage, ms] of Object.entries(timings)) workerTimings[stage] = (workerTimings[stage] ?? 0) + ms;
      onBatch(photos, progressOf(done, items.length, performance.now() - started));
    }
  };
  await Promise.all(clients.map(feed));
}
