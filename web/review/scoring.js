// @ts-check
// Scores a folder's photos in the review worker (review-worker.js), a batch
// at a time with the next batch already queued, so the worker never waits
// for the page; reports progress with a rate and an estimate of the time left.

import { ClassifierClient } from '../facegender/classifier-client.js';

/** Photos per message to the worker: one model run per batch. */
export const BATCH_SIZE = 16;
/** Batches handed to the worker ahead of the one it is on. */
const AHEAD = 2;

/** Starts the review worker and loads the core, the detector and the model there. */
export async function loadScorer(/** @type {(text: string) => void} */ onProgress,
  /** @type {{backend: string, threads: number, model: string | null}} */ options) {
  const worker = new Worker(new URL('./review-worker.js', import.meta.url), { type: 'module' });
  const client = new ClassifierClient(worker, onProgress);
  try {
    const info = await client.call('load', options);
    return { client, ...info };
  } catch (error) {
    worker.terminate();
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

/**
 * Scores `items` ({index, file, path}) and calls onBatch(photos, progress)
 * for each batch as it comes back, in order; stops early when
 * shouldStop() turns true. Resolves when all batches are back.
 * @param {ClassifierClient} client
 * @param {{index: number, file: File, path: string}[]} items
 * @param {(photos: any[], progress: ReturnType<typeof progressOf>) => void} onBatch
 * @param {() => boolean} [shouldStop]
 */
export async function scoreAll(client, items, onBatch, shouldStop = () => false) {
  const started = performance.now();
  const batches = [];
  for (let i = 0; i < items.length; i += BATCH_SIZE) batches.push(items.slice(i, i + BATCH_SIZE));
  /** @type {Promise<any>[]} */
  const queued = [];
  let next = 0;
  let done = 0;
  const fill = () => {
    while (queued.length < AHEAD + 1 && next < batches.length && !shouldStop()) {
      queued.push(client.call('score', { items: batches[next] }));
      next += 1;
    }
  };
  fill();
  while (queued.length > 0) {
    const { photos } = await /** @type {Promise<any>} */ (queued.shift());
    fill();
    done += photos.length;
    onBatch(photos, progressOf(done, items.length, performance.now() - started));
  }
}
