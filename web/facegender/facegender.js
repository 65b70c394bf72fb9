// @ts-check
// facegender in the browser: finds the faces in a picture or video and gives
// each the model's calibrated estimate of apparent gender presentation, all
// on this device (a Worker runs the WebAssembly core and ONNX Runtime Web;
// every file comes from this folder; nothing is sent anywhere).
//
//   import { FaceGender } from './facegender/facegender.js';
//   const fg = await FaceGender.load();
//   const { faces } = await fg.classify(imageElement);
//   faces[0].text;  // "female 97.3%"
//
// The types are in facegender.d.ts; web/README.md shows more.

import { ClassifierClient } from './classifier-client.js';
import { FaceGenderError, asFaceGenderError } from './errors.js';
import { drawPixels, makeCaptureCanvas, pixelsOf } from './sources.js';
import { BACKEND_CHOICES, CAMERA_TRACKING, PHOTO_SEARCH, defaultOrtThreads } from './settings.js';

export { FaceGenderError, BACKEND_CHOICES };

/** @typedef {import('./facegender').Face} Face */
/** @typedef {import('./facegender').Result} Result */
/** @typedef {import('./facegender').LoadOptions} LoadOptions */
/** @typedef {import('./facegender').WatchOptions} WatchOptions */

/**
 * The page-facing result of one classification (the worker's raw result:
 * boxes, faces, probability rows, predictions, tensor, timings).
 * @param {any} raw
 * @param {string[]} classNames
 * @returns {Face[]}
 */
function facesOf(raw, classNames) {
  return raw.boxes.map((/** @type {any} */ box, /** @type {number} */ i) => {
    const row = raw.probabilities[i];
    const prediction = raw.predictions[i];
    const detection = raw.faces?.[i] ?? null;
    return {
      index: i,
      id: raw.identities?.[i] ?? null,
      box: { x: box.x, y: box.y, width: box.width, height: box.height },
      detection: detection ? { x: detection.x, y: detection.y, width: detection.width, height: detection.height } : null,
      score: detection ? detection.score : null,
      keypoints: detection ? detection.keypoints.map((/** @type {any} */ p) => ({ x: p.x, y: p.y })) : [],
      label: prediction.className,
      probability: prediction.confidence,
      text: prediction.label,
      probabilities: Object.fromEntries(classNames.map((name, k) => [name, row[k]])),
    };
  });
}

/**
 * @param {any} raw
 * @param {string[]} classNames
 * @param {{width: number, height: number}} size
 * @param {Record<string, number>} extraTimings
 * @returns {Result}
 */
function resultOf(raw, classNames, size, extraTimings) {
  const timings = { ...extraTimings, ...raw.timings };
  timings.totalMs = Object.values(timings).reduce((sum, ms) => sum + (Number.isFinite(ms) ? ms : 0), 0);
  return {
    width: size.width,
    height: size.height,
    faces: facesOf(raw, classNames),
    classNames,
    timings,
    input: { tensor: raw.tensor, dims: raw.dims },
  };
}

const CAMERA_ERRORS = {
  NotAllowedError: ['camera-denied', 'Camera access was denied.'],
  SecurityError: ['camera-denied', 'Camera access was denied.'],
  NotFoundError: ['camera-not-found', 'No camera was found.'],
  OverconstrainedError: ['camera-not-found', 'No camera was found that can give the picture asked for.'],
  NotReadableError: ['camera-busy', 'The camera could not be started (is another app using it?).'],
  AbortError: ['camera-busy', 'The camera could not be started (is another app using it?).'],
};

export class FaceGender {
  /**
   * Starts the worker and loads the core, the face detector and the model;
   * rejects with a FaceGenderError of code 'load' when one cannot be loaded.
   * @param {LoadOptions} [options]
   */
  static async load({ backend = 'auto', threads = defaultOrtThreads(), model = null, onProgress = () => {} } = {}) {
    if (!BACKEND_CHOICES.includes(backend)) {
      throw new FaceGenderError('backend', `unknown backend "${backend}": choose one of ${BACKEND_CHOICES.join(', ')}`);
    }
    const modelUrl = model === null ? null : new URL(model, globalThis.location?.href).href;
    try {
      const client = await ClassifierClient.load(onProgress, { backend, threads, model: modelUrl });
      return new FaceGender(client);
    } catch (error) {
      throw asFaceGenderError(error, 'load', 'facegender could not load its face finder or model');
    }
  }

  /** @param {any} client the worker's handle (classifier-client.js) */
  constructor(client) {
    /** @private */
    this.client = client;
    /** @private */
    this.capture = makeCaptureCanvas();
  }

  /** The model's class names, in the order of its outputs. @returns {string[]} */
  get classNames() { return this.client.classNames.slice(); }
  /** 'webgpu' or 'wasm': what runs the model now. @returns {'webgpu' | 'wasm'} */
  get backend() { return this.client.backend; }
  /** For people: "WebAssembly (CPU, 1 thread)". @returns {string} */
  get backendName() { return this.client.backendName; }
  /** Why WebGPU is not in use although it was asked for ('' otherwise). @returns {string} */
  get backendNote() { return this.client.backendNote ?? ''; }
  /** @returns {number} */
  get threads() { return this.client.threads; }
  /** The model's metadata as the core read it (detector, crop, normalisation, temperature). */
  get spec() { return this.client.spec; }
  /** ms per loading step. @returns {Record<string, number>} */
  get loadTimings() { return { ...this.client.loadTimings }; }
  /** The model card's address, or null when the build has none. @returns {string | null} */
  get modelCardUrl() {
    const card = this.client.buildInfo.modelCard;
    return card ? new URL(card, new URL('./', import.meta.url)).href : null;
  }

  /**
   * Finds and classifies every face in `source`. With {wholeImage: true}
   * the whole picture is classified as one face instead (for a close-up in
   * which no face is found). Rejects with a FaceGenderError: 'image' (an
   * unreadable or too large file), 'source' (not a picture), 'closed'.
   * @param {any} source
   * @param {{wholeImage?: boolean}} [options]
   * @returns {Promise<Result>}
   */
  async classify(source, { wholeImage = false } = {}) {
    const pixels = await pixelsOf(source, this.capture);
    const { rgba, width, height } = pixels;
    const raw = await this.call(() => (wholeImage ? this.client.classifyWhole(rgba, width, height)
      : this.client.classifyFaces(rgba, width, height, PHOTO_SEARCH)));
    const result = resultOf(raw, this.classNames, pixels, { decodeMs: pixels.decodeMs, captureMs: pixels.captureMs });
    result.image = new ImageData(rgba, width, height);
    result.original = { width: pixels.originalWidth, height: pixels.originalHeight, scaled: pixels.scaled, name: pixels.name };
    if (wholeImage) result.wholeImage = true;
    return result;
  }

  /**
   * Classifies each new frame of a playing video (a webcam stream or a
   * file) and calls onResult with it; faces keep their `id` while in view
   * and their probabilities are averaged over frames.
   * @param {HTMLVideoElement} video
   * @param {(result: Result) => void | Promise<void>} onResult
   * @param {WatchOptions} [options]
   */
  watch(video, onResult, options = {}) {
    return new VideoWatch(this, video, onResult, options);
  }

  /**
   * Runs the model on another backend ('auto', 'webgpu', 'wasm'); the core
   * and model stay loaded.
   * @param {string} backend
   * @param {(text: string) => void} [onProgress]
   */
  async setBackend(backend, onProgress) {
    if (!BACKEND_CHOICES.includes(backend)) {
      throw new FaceGenderError('backend', `unknown backend "${backend}": choose one of ${BACKEND_CHOICES.join(', ')}`);
    }
    await this.call(() => this.client.switchBackend(backend, onProgress), 'backend', `switching to ${backend} failed`);
  }

  /**
   * The conv feature maps of one face's model input (the inspector's; needs
   * the model's "-features" twin beside it).
   * @param {Float32Array} input
   */
  featureMaps(input) {
    return this.call(() => this.client.featureMaps(input));
  }

  /** Stops the worker; calls after this reject with code 'closed'. */
  close() {
    this.closed = true;
    this.client.terminate();
  }

  /**
   * Opens the camera (front-facing by default); rejects with a
   * FaceGenderError: 'camera-denied', 'camera-not-found', 'camera-busy' or
   * 'camera-unsupported'.
   * @param {MediaTrackConstraints} [video]
   */
  static async openCamera(video = { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } }) {
    if (!globalThis.navigator?.mediaDevices?.getUserMedia) {
      throw new FaceGenderError('camera-unsupported', 'This browser gives the page no camera access.');
    }
    try {
      return await navigator.mediaDevices.getUserMedia({ video, audio: false });
    } catch (error) {
      const name = /** @type {any} */ (error)?.name;
      const [code, message] = CAMERA_ERRORS[/** @type {keyof typeof CAMERA_ERRORS} */ (name)] ??
        ['camera', `The camera could not be started (${name ?? 'error'}).`];
      throw new FaceGenderError(/** @type {any} */ (code), message, { cause: error });
    }
  }

  /**
   * Runs `task` on the worker; its failure becomes a FaceGenderError of
   * `code` whose message starts with `context`.
   * @private
   * @template T
   * @param {() => Promise<T>} task
   * @param {import('./facegender').FaceGenderErrorCode} [code]
   * @param {string} [context]
   * @returns {Promise<T>}
   */
  async call(task, code = 'classify', context = 'classifying failed') {
    if (this.closed) throw new FaceGenderError('closed', 'this FaceGender was closed');
    try {
      return await task();
    } catch (error) {
      throw asFaceGenderError(error, this.closed ? 'closed' : code, context);
    }
  }

  /**
   * One video frame through the tracker (VideoWatch's).
   * @internal
   * @param {Uint8ClampedArray} rgba handed to the worker, unusable after
   * @param {number} width
   * @param {number} height
   */
  classifyVideoFrame(rgba, width, height) {
    return this.call(() => this.client.classifyVideoFrame(rgba, width, height, CAMERA_TRACKING));
  }

  /** @internal */
  resetTracking() {
    return this.call(() => this.client.resetTracking());
  }
}

/** A running watch() loop: pause, resume, stop; frames per second. */
export class VideoWatch {
  /**
   * @param {FaceGender} fg
   * @param {HTMLVideoElement} video
   * @param {(result: Result) => void | Promise<void>} onResult
   * @param {WatchOptions} options
   */
  constructor(fg, video, onResult, { onError = (error) => console.error('facegender:', error) } = {}) {
    this.fg = fg;
    this.video = video;
    this.onResult = onResult;
    this.onError = onError;
    this.running = true;
    this.paused = false;
    /** Frames classified per second over the last second (0 until known). */
    this.fps = 0;
    this.frames = 0;
    this.windowStart = performance.now();
    this.frameCapture = makeCaptureCanvas();
    this.started = fg.resetTracking().then(() => this.schedule(), (error) => this.fail(error));
  }

  /** Stops classifying frames (the video keeps playing); resume() goes on. */
  pause() {
    this.paused = true;
  }

  resume() {
    if (!this.running || !this.paused) return;
    this.paused = false;
    this.windowStart = performance.now();
    this.frames = 0;
    this.schedule();
  }

  /** Ends the loop for good. */
  stop() {
    this.running = false;
  }

  /** @private */
  schedule() {
    if (!this.running || this.paused) return;
    const video = /** @type {any} */ (this.video);
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => this.frame());
    else requestAnimationFrame(() => this.frame());
  }

  /** @private @param {unknown} error */
  fail(error) {
    this.running = false;
    this.onError(asFaceGenderError(error, 'classify', 'classifying a video frame failed'));
  }

  /** @private */
  async frame() {
    if (!this.running || this.paused) return;
    const { videoWidth: width, videoHeight: height } = this.video;
    if (width === 0 || height === 0) {
      this.schedule();
      return;
    }
    try {
      const t0 = performance.now();
      const rgba = drawPixels(this.frameCapture, this.video, width, height);
      const captureMs = performance.now() - t0;
      const raw = await this.fg.classifyVideoFrame(rgba, width, height);
      if (!this.running) return;
      const result = resultOf(raw, this.fg.classNames, { width, height }, { captureMs });
      result.timings.frameMs = performance.now() - t0;
      result.frame = this.frameCapture.canvas;
      result.fullSearch = raw.fullSearch;
      this.countFrame();
      result.fps = this.fps;
      await this.onResult(result);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.schedule();
  }

  /** @private */
  countFrame() {
    const now = performance.now();
    this.frames += 1;
    const elapsed = now - this.windowStart;
    if (elapsed >= 1000) {
      this.fps = (this.frames * 1000) / elapsed;
      this.frames = 0;
      this.windowStart = now;
    }
  }
}
