// The page's classifier: the facegender core (WebAssembly) finds and prepares
// the faces, ONNX Runtime Web runs the model on all of them at once.
//
//   const classifier = await Classifier.load();
//   const result = await classifier.classifyFaces(rgba, width, height, PHOTO_SEARCH);
//
// Every file comes from this site (see build.mjs): nothing is fetched from
// elsewhere and nothing is sent anywhere.

import * as ort from './ort/ort.webgpu.min.mjs';
import createFaceGender from './core/facegender_wasm.mjs';
import { readOnnxMetadata } from './onnx-metadata.js';

const SITE = new URL('./', import.meta.url);

/** Face search for photos: no padding, detection on a copy at most 640 px long. */
export const PHOTO_SEARCH = Object.freeze({ scaleFactor: 1.1, minNeighbors: 5, minSize: 0, padFraction: 0, maxSide: 640 });
/** Face search for webcam frames: smaller detection copy, for the frame rate. */
export const CAMERA_SEARCH = Object.freeze({ ...PHOTO_SEARCH, maxSide: 320 });

async function fetchOk(path) {
  const response = await fetch(new URL(path, SITE));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response;
}

// WebGPU when the browser gives an adapter, else WebAssembly on the CPU.
async function pickBackend() {
  try {
    if (navigator.gpu && (await navigator.gpu.requestAdapter())) return 'webgpu';
  } catch {
    // no adapter
  }
  return 'wasm';
}

const BACKEND_NAMES = { webgpu: 'WebGPU (GPU)', wasm: 'WebAssembly (CPU)' };

export class Classifier {
  constructor(fg, cascade, session, spec, backend, buildInfo) {
    this.fg = fg;
    this.cascade = cascade;
    this.session = session;
    this.spec = spec;
    this.backend = backend;
    this.backendName = BACKEND_NAMES[backend];
    this.buildInfo = buildInfo;
    this.inputName = session.inputNames.includes('input') ? 'input' : session.inputNames[0];
    if (session.outputNames.includes('probabilities')) {
      this.outputName = 'probabilities';
      this.outputIsLogits = false;
    } else {
      this.outputName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
      this.outputIsLogits = true;
    }
    this.queue = Promise.resolve();
  }

  /** Loads the core, the face cascade and the model; runs one warm-up inference. */
  static async load(onProgress = () => {}) {
    const buildInfo = await (await fetchOk('build-info.json')).json();
    onProgress('Loading the face finder (WebAssembly)…');
    const [fg, cascadeText] = await Promise.all([
      createFaceGender(),
      fetchOk(buildInfo.cascade).then((r) => r.text()),
    ]);
    const cascade = fg.Cascade.fromJson(cascadeText, buildInfo.cascade.split('/').pop());

    onProgress('Loading the model…');
    const modelBytes = new Uint8Array(await (await fetchOk(buildInfo.model)).arrayBuffer());
    const spec = fg.parseModelSpec(readOnnxMetadata(modelBytes));

    ort.env.wasm.wasmPaths = new URL('ort/', SITE).href;
    // One thread: the model is small, and no worker is needed.
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';

    let backend = await pickBackend();
    let session;
    try {
      session = await ort.InferenceSession.create(modelBytes, { executionProviders: [backend] });
    } catch (error) {
      if (backend === 'wasm') throw error;
      console.warn('facegender: WebGPU session failed, using WebAssembly:', error);
      backend = 'wasm';
      session = await ort.InferenceSession.create(modelBytes, { executionProviders: ['wasm'] });
    }
    const classifier = new Classifier(fg, cascade, session, spec, backend, buildInfo);
    onProgress('Warming up…');
    await classifier.warmUp();
    return classifier;
  }

  get classNames() {
    return this.spec.classNames;
  }

  // One inference at a time: the calls queue up in order.
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
    const feeds = { [this.inputName]: new ort.Tensor('float32', tensor, dims) };
    const outputs = await this.session.run(feeds, [this.outputName]);
    const output = outputs[this.outputName];
    const values = output.data;
    const classes = this.spec.classNames.length;
    const rows = [];
    for (let i = 0; i < dims[0]; i += 1) {
      const row = values.subarray(i * classes, (i + 1) * classes);
      rows.push(Array.from(this.outputIsLogits ? this.fg.softmax(row) : row));
    }
    output.dispose?.();
    return rows;
  }

  describe(boxes, probabilities, prepareMs, inferMs) {
    const predictions = probabilities.map((p) => this.fg.predict(p, this.spec.classNames));
    return {
      boxes,
      probabilities,
      labels: predictions.map((p) => p.label),
      predictions,
      timings: { prepareMs, inferMs },
    };
  }

  /**
   * Every face in an RGBA image, largest first, with the model's
   * probabilities: {boxes, probabilities, labels, predictions, timings}.
   */
  classifyFaces(rgba, width, height, search = PHOTO_SEARCH) {
    return this.exclusive(async () => {
      const t0 = performance.now();
      const { boxes, tensor, dims } = this.fg.faceInputs(this.cascade, rgba, width, height, search,
        this.spec.crop, this.spec.normalization);
      const t1 = performance.now();
      const probabilities = boxes.length > 0 ? await this.infer(tensor, dims) : [];
      const t2 = performance.now();
      return this.describe(boxes, probabilities, t1 - t0, t2 - t1);
    });
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
      const t1 = performance.now();
      const probabilities = await this.infer(tensor, [1, 1, spec.crop.input, spec.crop.input]);
      const t2 = performance.now();
      return this.describe([{ x: 0, y: 0, width, height }], probabilities, t1 - t0, t2 - t1);
    });
  }
}
