// @ts-check
// The review page's own thread: reads each photo (SHA-256 of its bytes,
// decode), finds its faces with the core's photo preset and judges them by
// the core's dataset rules (the same as `facegender prepare`), and runs the
// model on each photo's best face, a batch of photos at a time, so the
// page's main thread only draws. Messages {id, op, args} in; {id, value} or
// {id, error} out, and {progress} while loading.

import { Classifier } from '../facegender/pipeline.js';
import { decodeImageFile } from '../facegender/image-file.js';
import { drawPixels, makeCaptureCanvas } from '../facegender/sources.js';

/** Side of the face thumbnails the grid shows (CSS px x 2, for sharp tiles). */
const THUMB_SIDE = 160;
/** A thumbnail shows this many face-box sides around the face's centre. */
const THUMB_CONTEXT = 1.7;

/** @type {any} */
let classifier = null;
const capture = makeCaptureCanvas();
const thumbCanvas = new OffscreenCanvas(THUMB_SIDE, THUMB_SIDE);
const thumbContext = /** @type {OffscreenCanvasRenderingContext2D} */ (thumbCanvas.getContext('2d'));

/** @param {ArrayBuffer} digest */
function hex(digest) {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A JPEG of the square around the face (the whole picture when there is
 * none), from the picture drawn on the capture canvas.
 * @param {{x: number, y: number, width: number, height: number} | null} box
 * @param {number} width
 * @param {number} height
 */
function thumbnail(box, width, height) {
  let side = Math.max(width, height);
  let x = (width - side) / 2;
  let y = (height - side) / 2;
  if (box) {
    // Around the face, but no larger than the picture and kept inside it
    // where it can be, so a tight crop of one face fills its tile.
    side = Math.min(Math.max(box.width, box.height) * THUMB_CONTEXT, side);
    const clamp = (v, room) => Math.min(Math.max(v, Math.min(0, room)), Math.max(0, room));
    x = clamp(box.x + box.width / 2 - side / 2, width - side);
    y = clamp(box.y + box.height / 2 - side / 2, height - side);
  }
  thumbContext.fillStyle = '#808080';
  thumbContext.fillRect(0, 0, THUMB_SIDE, THUMB_SIDE);
  const scale = THUMB_SIDE / side;
  thumbContext.drawImage(capture.canvas, 0, 0, width, height, -x * scale, -y * scale, width * scale, height * scale);
  return thumbCanvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
}

/**
 * One photo read and judged: {index, sha256, split, width, height, faces,
 * issue, detail, box, input (the best face's model input, or null), thumb}
 * or {index, sha256?, error} when it cannot be read.
 * @param {{index: number, file: File, path: string}} item
 */
async function readPhoto({ index, file, path }, stages) {
  let sha256;
  try {
    let t = performance.now();
    const lap = (/** @type {keyof typeof stages} */ stage) => {
      const now = performance.now();
      stages[stage] += now - t;
      t = now;
    };
    const bytes = await file.arrayBuffer();
    sha256 = hex(await crypto.subtle.digest('SHA-256', bytes));
    lap('hashMs');
    const decoded = await decodeImageFile(new File([bytes], path));
    const { width, height } = decoded;
    const rgba = drawPixels(capture, decoded.bitmap, width, height);
    decoded.bitmap.close();
    lap('decodeMs');
    const { fg, finder, spec } = classifier;
    const batch = finder.faceInputs(rgba, width, height, 'photo', spec.cropSpec, spec.normalization);
    const check = fg.checkFaces(batch.faces, width, height);
    lap('detectMs');
    const side = batch.input;
    const box = batch.boxes[0] ?? null;
    const thumb = await thumbnail(box, width, height);
    lap('thumbMs');
    return {
      index, sha256, split: fg.splitOfSha256(sha256), width, height, scaled: decoded.scaled,
      faces: batch.boxes.length, issue: check.issue, detail: check.detail, box,
      input: box ? batch.tensor.slice(0, side * side) : null,
      thumb,
    };
  } catch (error) {
    return { index, sha256, error: /** @type {any} */ (error)?.message ?? String(error) };
  }
}

/**
 * The model on every photo's best face, one batch: sets each photo's
 * `probabilities` (calibrated, the model's class order; null without a face).
 * @param {any[]} photos
 */
async function classifyBest(photos) {
  const withFace = photos.filter((p) => p.input);
  for (const photo of photos) photo.probabilities = null;
  if (withFace.length === 0) return;
  const side = classifier.spec.crop.input;
  const tensor = new Float32Array(withFace.length * side * side);
  withFace.forEach((photo, i) => tensor.set(photo.input, i * side * side));
  const rows = await classifier.exclusive(() => classifier.infer(tensor, [withFace.length, 1, side, side]));
  withFace.forEach((photo, i) => {
    photo.probabilities = rows[i];
  });
}

const ops = {
  /** @param {{backend: string, threads: number, model: string | null}} args */
  async load({ backend, threads, model }) {
    classifier = await Classifier.load((text) => self.postMessage({ progress: text }), { backend, threads, model });
    if (!classifier.finder) {
      throw new Error('the review page needs a model trained on BlazeFace crops (its metadata names the Haar detector)');
    }
    return {
      classNames: classifier.classNames,
      rules: classifier.fg.datasetRules(),
      backendName: classifier.backendName,
      backendNote: classifier.backendNote,
    };
  },
  /** @param {{items: {index: number, file: File, path: string}[]}} args */
  async score({ items }) {
    const stages = { hashMs: 0, decodeMs: 0, detectMs: 0, thumbMs: 0 };
    const photos = [];
    for (const item of items) photos.push(await readPhoto(item, stages));
    const t1 = performance.now();
    await classifyBest(photos);
    for (const photo of photos) delete photo.input;
    return { photos, timings: { ...stages, inferMs: performance.now() - t1 } };
  },
};

/** @param {{id: number, op: string, args: any}} message */
async function handle({ id, op, args }) {
  try {
    if (!(op in ops)) throw new Error(`unknown operation "${op}"`);
    if (op !== 'load' && !classifier) throw new Error('the model is not loaded');
    self.postMessage({ id, value: await ops[/** @type {keyof typeof ops} */ (op)](args) });
  } catch (error) {
    self.postMessage({ id, error: { name: error?.name ?? 'Error', message: error?.message ?? String(error) } });
  }
}

// One message at a time, in order: the batches queued ahead wait their turn
// instead of interleaving at every await (which would hold every queued
// batch's photos in memory at once and blur the timings).
let queue = Promise.resolve();
self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data));
};
