// @ts-check
// The page's classifier: the facegender core (WebAssembly) finds and prepares
// the faces, ONNX Runtime Web runs the model on all of them at once.
//
//   const classifier = await Classifier.load();
//   const result = await classifier.classifyFaces(rgba, width, height, PHOTO_SEARCH);
//
// Every file comes from this site (see build.mjs): nothing is fetched from
// elsewhere and nothing is sent anywhere.

import createFaceGender from './core/facegender_wasm.mjs';
import { readOnnxMetadata } from './onnx-metadata.js';
import { BACKEND_CHOICES, CAMERA_SEARCH, CAMERA_TRACKING, PHOTO_SEARCH, defaultOrtThreads } from './settings.js';

export { BACKEND_CHOICES, CAMERA_SEARCH, CAMERA_TRACKING, PHOTO_SEARCH, defaultOrtThreads };

const SITE = new URL('./', import.meta.url);

async function fetchOk(path) {
  const response = await fetch(new URL(path, SITE));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response;
}

/**
 * Whether WebGPU can run here: {available, reason}; reason says why not
 * (for the page to show), empty when it can.
 */
export async function webgpuSupport() {
  if (!globalThis.isSecureContext) return { available: false, reason: 'WebGPU needs a secure page (https or localhost)' };
  if (!('gpu' in navigator) || !navigator.gpu) return { available: false, reason: 'this browser has no WebGPU' };
  try {
    if (await navigator.gpu.requestAdapter()) return { available: true, reason: '' };
    return { available: false, reason: 'the browser found no GPU adapter for WebGPU (none, or blocked by its settings)' };
  } catch (error) {
    return { available: false, reason: `asking for a WebGPU adapter failed (${error?.message ?? error})` };
  }
}

const BACKEND_NAMES = { webgpu: 'WebGPU (GPU)', wasm: 'WebAssembly (CPU)' };

// ONNX Runtime Web comes in one bundle per backend, each with its own binary:
// the WASM one (ort-wasm-simd-threaded.wasm, 14 MB) and the WebGPU one, which
// also runs WASM but needs the larger asyncify binary (27 MB). A page loads
// only the bundle of the backend it uses.
const ORT_BUNDLES = { wasm: './ort/ort.wasm.min.mjs', webgpu: './ort/ort.webgpu.min.mjs' };
const ortModules = {};

let ortThreads = null;

/**
 * The ONNX Runtime Web module for `backend` ('wasm' or 'webgpu'), loaded and
 * set up once; `threads` applies to the first load of each bundle.
 */
export function loadOrt(backend, threads = defaultOrtThreads()) {
  ortModules[backend] ??= import(ORT_BUNDLES[backend]).then((ort) => {
    ort.env.wasm.wasmPaths = new URL('ort/', SITE).href;
    ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? threads : 1;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    return ort;
  });
  return ortModules[backend];
}

// One ONNX Runtime session on `backend`; WebGPU falls back to WASM when its
// session cannot be created. Returns {ort, session, backend, note}; note
// says why WebGPU is not used when it was asked for and failed.
async function createSession(modelBytes, backend) {
  const ort = await loadOrt(backend, ortThreads ?? defaultOrtThreads());
  try {
    const session = await ort.InferenceSession.create(modelBytes, { executionProviders: [backend] });
    return { ort, session, backend, note: '' };
  } catch (error) {
    if (backend === 'wasm') throw error;
    console.warn('facegender: WebGPU session failed, using WebAssembly:', error);
    const fallback = await createSession(modelBytes, 'wasm');
    return { ...fallback, note: `WebGPU could not run the model (${error?.message ?? error})` };
  }
}

// A BlazeFace batch of the core (FaceFinder / FaceSmoother faceInputs) in the
// shape of the Haar path's faceInputs.
function batchInputs(r) {
  return {
    boxes: r.boxes,
    faces: r.faces,
    tensor: r.tensor,
    dims: [r.boxes.length, 1, r.input, r.input],
    timings: { detectMs: r.detectMs, prepareMs: r.prepareMs },
  };
}

export class Classifier {
  /**
   * @param {any} assets @param {any} ort @param {any} session @param {string} backend @param {string} [backendNote]
   */
  constructor(assets, ort, session, backend, backendNote = '') {
    const { fg, cascade, finder, spec, buildInfo, modelBytes } = assets;
    /** @type {Promise<any> | null} the features twin, loaded when first asked for */
    this.features = null;
    /** @type {any} the core's FaceTracker (Haar video frames), made when first needed */
    this.tracker = null;
    /** @type {any} the core's FaceSmoother (BlazeFace video frames), made when first needed */
    this.smoother = null;
    /** BlazeFace (a FaceFinder) when the model was trained on its faces, else null (Haar). */
    this.finder = finder;
    this.assets = assets;
    this.ort = ort;
    this.fg = fg;
    this.cascade = cascade;
    this.session = session;
    this.spec = spec;
    this.backend = backend;
    /** Inference threads of the WebAssembly backend (its pool also serves WebGPU's CPU kernels). */
    this.threads = ort.env.wasm.numThreads;
    this.backendName = backend === 'wasm'
      ? `${BACKEND_NAMES.wasm.slice(0, -1)}, ${this.threads} thread${this.threads === 1 ? '' : 's'})`
      : BACKEND_NAMES[backend];
    /** Why WebGPU is not running when it was wanted ('' when it is, or was not asked for). */
    this.backendNote = backendNote;
    this.buildInfo = buildInfo;
    this.modelBytes = modelBytes;
    this.inputName = session.inputNames.includes('input') ? 'input' : session.inputNames[0];
    // The core's rule, the CLI's too: which output, probabilities or logits.
    const output = fg.chooseModelOutput(session.outputNames, assets.metadata);
    this.outputName = output.name;
    this.outputKind = output.kind;
    /** @type {Promise<unknown>} the last queued call (exclusive) */
    this.queue = Promise.resolve();
    // ms spent in each loading step, for the benchmark and the curious.
    this.loadTimings = { ...assets.loadTimings };
  }

  /**
   * Loads the core, the model (`model`: a URL, else the build's) and the
   * face detector it names;
   * opens a session on `backend` ('auto', 'webgpu' or 'wasm'); runs one
   * warm-up inference.
   */
  /**
   * @param {(text: string) => void} [onProgress]
   * @param {{backend?: string, threads?: number, model?: string | null}} [options]
   */
  static async load(onProgress = () => {}, { backend = 'auto', threads = defaultOrtThreads(), model = null } = {}) {
    if (!BACKEND_CHOICES.includes(backend)) throw new Error(`unknown backend "${backend}" (${BACKEND_CHOICES.join(', ')})`);
    ortThreads = threads;
    const t0 = performance.now();
    const buildInfo = await (await fetchOk('build-info.json')).json();
    onProgress('Loading the face finder and the model…');
    // The core and the model at once; then the detector the model was trained
    // with (its metadata): BlazeFace's networks, or the Haar cascade.
    const [fg, modelBytes] = await Promise.all([
      createFaceGender(),
      fetchOk(model ?? buildInfo.model).then(async (r) => new Uint8Array(await r.arrayBuffer())),
    ]);
    const t1 = performance.now();
    const metadata = readOnnxMetadata(modelBytes);
    const spec = fg.parseModelSpec(metadata);
    let finder = null;
    let cascade = null;
    if (spec.detector === 'blazeface') {
      onProgress('Loading the face detector…');
      const [shortRange, fullRange] = await Promise.all([buildInfo.detectors.shortRange, buildInfo.detectors.fullRange]
        .map(async (file) => new Uint8Array(await (await fetchOk(file)).arrayBuffer())));
      finder = fg.FaceFinder.fromBytes(shortRange, fullRange);
    } else {
      const cascadeText = await (await fetchOk(buildInfo.cascade)).text();
      cascade = fg.Cascade.fromJson(cascadeText, buildInfo.cascade.split('/').pop());
    }
    // coreMs: core and model fetched together; modelMs: metadata and detector.
    const loadTimings = { coreMs: t1 - t0, modelMs: performance.now() - t1 };
    const assets = { fg, cascade, finder, spec, metadata, buildInfo, modelBytes, loadTimings };
    return Classifier.open(assets, backend, onProgress);
  }

  /** A classifier on the same core and model with another backend. */
  withBackend(backend, onProgress = () => {}) {
    return Classifier.open(this.assets, backend, onProgress);
  }

  static async open(assets, choice, onProgress) {
    const t0 = performance.now();
    let wanted = choice;
    let note = '';
    if (choice !== 'wasm') {
      const webgpu = await webgpuSupport();
      if (!webgpu.available) {
        wanted = 'wasm';
        note = webgpu.reason;
      } else {
        wanted = 'webgpu';
      }
    }
    const { ort, session, backend, note: failed } = await createSession(assets.modelBytes, wanted);
    const classifier = new Classifier(assets, ort, session, backend, choice === 'wasm' ? '' : note || failed);
    const t1 = performance.now();
    onProgress('Warming up…');
    await classifier.warmUp();
    Object.assign(classifier.loadTimings, { sessionMs: t1 - t0, warmUpMs: performance.now() - t1 });
    return classifier;
  }

  /** Frees the ONNX Runtime sessions and the tracker (the core and model stay loaded). */
  async release() {
    await this.queue;
    this.tracker?.delete();
    this.tracker = null;
    this.smoother?.delete();
    this.smoother = null;
    await (await this.features)?.session?.release();
    await this.session.release();
  }

  /**
   * One face's conv feature maps, from the model's "-features" twin
   * (build-info.json featuresModel: the same weights with every conv
   * activation as an output), run on the WebAssembly backend in this
   * classifier's queue. `input` is the face's normalised side x side input.
   * Returns {path, note, maps: [{name, channels, height, width, data}],
   * probabilities}; without maps, note says why.
   */
  async featureMaps(input) {
    this.features ??= this.loadFeatures();
    const { path, session, outputs, note } = await this.features;
    if (!session || outputs.length === 0) return { path, note, maps: [], probabilities: null };
    const side = this.spec.crop.input;
    const tensor = new this.ort.Tensor('float32', input, [1, 1, side, side]);
    const wanted = session.outputNames.includes('probabilities') ? [...outputs, 'probabilities'] : outputs;
    const results = await this.exclusive(() => session.run({ [session.inputNames[0]]: tensor }, wanted));
    const maps = outputs.map((name) => {
      const [, channels, height, width] = results[name].dims;
      return { name: name.replace(/^features_/, ''), channels, height, width, data: results[name].data };
    });
    // Through the same calibration as the classifier's own output.
    const probabilities = results.probabilities
      ? Array.from(this.fg.outputProbabilities(results.probabilities.data, 'probabilities', this.spec.classNames.length,
        this.spec.temperature))
      : null;
    return { path, note: '', maps, probabilities };
  }

  async loadFeatures() {
    const path = this.buildInfo.featuresModel;
    if (!path) return { path: null, outputs: [], note: 'This model has no feature outputs (no "-features" model was built beside it).' };
    try {
      const bytes = new Uint8Array(await (await fetchOk(path)).arrayBuffer());
      const session = await this.ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const outputs = session.outputNames.filter((name) => name.startsWith('features_'));
      return { path, session, outputs, note: outputs.length > 0 ? '' : 'This model has no feature outputs.' };
    } catch (error) {
      console.error('facegender: feature model:', error);
      return { path, outputs: [], note: `The feature maps could not be loaded: ${error?.message ?? error}` };
    }
  }

  get classNames() {
    return this.spec.classNames;
  }

  /**
   * One inference at a time: the calls queue up in order.
   * @template T
   * @param {() => Promise<T>} task
   * @returns {Promise<T>}
   */
  exclusive(task) {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => {});
    return run;
  }

  async warmUp() {
    const side = this.spec.crop.input;
    const tensor = new Float32Array(side * side);
    await this.exclusive(() => this.infer(tensor, [1, 1, side, side]));
  }

  // Runs the model on an N x 1 x side x side batch; returns N probability rows.
  async infer(tensor, dims) {
    const feeds = { [this.inputName]: new this.ort.Tensor('float32', tensor, dims) };
    const outputs = await this.session.run(feeds, [this.outputName]);
    const output = outputs[this.outputName];
    const values = output.data;
    const classes = this.spec.classNames.length;
    // Checked at the warm-up, so a model that does not fit fails at load.
    if (values.length !== dims[0] * classes) {
      throw new Error(`the model's output "${this.outputName}" gives ${values.length / dims[0]} values per face, but its metadata names ${classes} classes`);
    }
    const rows = [];
    for (let i = 0; i < dims[0]; i += 1) {
      const row = values.subarray(i * classes, (i + 1) * classes);
      rows.push(Array.from(this.fg.outputProbabilities(row, this.outputKind, classes, this.spec.temperature)));
    }
    output.dispose?.();
    return rows;
  }

  // The result of one classification. tensor (N x 1 x S x S) is the model's
  // input, kept for the inspector and for tests.
  describe(boxes, probabilities, tensor, dims, timings, faces = null, identities = null) {
    const predictions = probabilities.map((p) => this.fg.predict(p, this.spec.classNames));
    return {
      boxes,
      // Video frames with BlazeFace: each face's track, kept while it stays in view.
      identities,
      // BlazeFace only: per face its box, six keypoints and score.
      faces,
      probabilities,
      labels: predictions.map((p) => p.label),
      predictions,
      tensor,
      dims,
      timings,
    };
  }

  /**
   * Every face in an RGBA image, largest first, with the model's
   * probabilities: {boxes, probabilities, labels, predictions, tensor, dims,
   * timings: {detectMs, prepareMs, inferMs}} (ms; detect and prepare are timed
   * inside the core).
   */
  classifyFaces(rgba, width, height, search = PHOTO_SEARCH) {
    return this.exclusive(async () => {
      if (this.finder) return this.classifyInputs(this.blazeFaceInputs(rgba, width, height, 'photo'));
      const inputs = this.fg.faceInputs(this.cascade, rgba, width, height, search, this.spec.crop,
        this.spec.normalization);
      return this.classifyInputs(inputs);
    });
  }

  // The core's BlazeFace path with one of its scene presets ('photo',
  // 'webcam'), in faceInputs' shape.
  blazeFaceInputs(rgba, width, height, scene) {
    return batchInputs(this.finder.faceInputs(rgba, width, height, scene, this.spec.cropSpec, this.spec.normalization));
  }

  // The model on the core's faceInputs result; the result as classifyFaces
  // describes it.
  async classifyInputs({ boxes, faces = null, tensor, dims, timings }) {
    const { probabilities, inferMs } = await this.inferBatch(boxes.length, tensor, dims);
    return this.describe(boxes, probabilities, tensor, dims, { ...timings, inferMs }, faces);
  }

  // The model on a batch of `count` faces (none: no run), timed.
  async inferBatch(count, tensor, dims) {
    const t0 = performance.now();
    const probabilities = count > 0 ? await this.infer(tensor, dims) : [];
    return { probabilities, inferMs: performance.now() - t0 };
  }

  // A video frame's faces with each one's probabilities averaged over its
  // earlier frames by the core's smoother (its identities), so labels do
  // not flicker.
  async classifySmoothed(batch) {
    const { boxes, faces, tensor, dims, timings } = batchInputs(batch);
    const { probabilities, inferMs } = await this.inferBatch(boxes.length, tensor, dims);
    const classes = this.spec.classNames.length;
    const smoothed = this.smoother.smoothProbabilities(Float32Array.from(probabilities.flat()), classes);
    const rows = probabilities.map((_, i) => Array.from(smoothed.subarray(i * classes, (i + 1) * classes)));
    return this.describe(boxes, rows, tensor, dims, { ...timings, inferMs }, faces, batch.identities.slice());
  }

  /**
   * classifyFaces for the next frame of a video: the faces come from the
   * core's tracker, with a full search every `tracking.fullSearchEvery`
   * frames; the result says whether this frame had one (fullSearch).
   */
  classifyVideoFrame(rgba, width, height, tracking = CAMERA_TRACKING) {
    return this.exclusive(async () => {
      // BlazeFace searches a whole webcam frame in a few ms: every frame,
      // steadied by the core's FaceSmoother.
      if (this.finder) {
        this.smoother ??= this.fg.FaceSmoother.create(null);
        const batch = this.smoother.faceInputs(this.finder, rgba, width, height, this.spec.cropSpec,
          this.spec.normalization);
        return { ...(await this.classifySmoothed(batch)), fullSearch: true };
      }
      // By value: settings that crossed from another thread are a new object each call.
      const key = JSON.stringify(tracking);
      if (!this.tracker || this.trackingKey !== key) {
        this.tracker?.delete();
        this.tracker = this.fg.FaceTracker.create(CAMERA_SEARCH, tracking);
        this.trackingKey = key;
      }
      const inputs = this.tracker.faceInputs(this.cascade, rgba, width, height, this.spec.crop,
        this.spec.normalization);
      return { ...(await this.classifyInputs(inputs)), fullSearch: inputs.fullSearch };
    });
  }

  /** The next video frame starts with a full search (a new video). */
  resetTracking() {
    this.tracker?.reset();
    this.smoother?.reset();
  }

  /**
   * The whole image as one face, as `facegender classify --whole-image`:
   * gray, resized to the crop size (aspect not kept), centre crop, tensor.
   */
  classifyWhole(rgba, width, height) {
    return this.exclusive(async () => {
      const t0 = performance.now();
      const { fg, spec } = this;
      const gray = fg.toGray(rgba, width, height);
      const resized = fg.resize(gray, width, height, spec.crop.size, spec.crop.size);
      const input = fg.centerCrop(resized, spec.crop.size, spec.crop.size, spec.crop.input);
      const tensor = fg.toTensor(input, spec.crop.input, spec.crop.input, spec.normalization);
      const dims = [1, 1, spec.crop.input, spec.crop.input];
      const t1 = performance.now();
      const probabilities = await this.infer(tensor, dims);
      const t2 = performance.now();
      return this.describe([{ x: 0, y: 0, width, height }], probabilities, tensor, dims,
        { detectMs: 0, prepareMs: t1 - t0, inferMs: t2 - t1 });
    });
  }
}
