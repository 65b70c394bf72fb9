// @ts-check
// The classifier's own thread (a module Worker started by
// classifier-client.js): the WebAssembly core and ONNX Runtime run here, so a
// full face search or an inference never blocks the page's main thread.
// Messages {id, op, args} in; {id, value} or {id, error} out, and {progress}
// while loading.

import { Classifier } from './pipeline.js';

let classifier = null;

function progress(text) {
  self.postMessage({ progress: text });
}

// What the page reads synchronously from its classifier.
function describe(c) {
  return {
    backend: c.backend,
    backendName: c.backendName,
    backendNote: c.backendNote,
    threads: c.threads,
    classNames: c.classNames,
    spec: c.spec,
    buildInfo: c.buildInfo,
    loadTimings: c.loadTimings,
  };
}

const ops = {
  async load({ backend, threads, model }) {
    classifier = await Classifier.load(progress, { backend, threads, model });
    return describe(classifier);
  },
  async switchBackend({ backend }) {
    const old = classifier;
    classifier = await old.withBackend(backend, progress);
    await old.release();
    return describe(classifier);
  },
  classifyFaces: ({ rgba, width, height, search }) => classifier.classifyFaces(rgba, width, height, search),
  classifyVideoFrame: ({ rgba, width, height, tracking }) =>
    classifier.classifyVideoFrame(rgba, width, height, tracking),
  classifyWhole: ({ rgba, width, height }) => classifier.classifyWhole(rgba, width, height),
  featureMaps: ({ input }) => classifier.featureMaps(input),
  resetTracking: () => classifier.resetTracking(),
};

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    if (!ops[op]) throw new Error(`unknown operation "${op}"`);
    if (op !== 'load' && !classifier) throw new Error('the classifier is not loaded');
    const value = await ops[op](args);
    // The model input is made per call: hand its buffer over instead of copying.
    const transfer = value?.tensor instanceof Float32Array ? [value.tensor.buffer] : [];
    /** @type {any} */ (self).postMessage({ id, value }, transfer);
  } catch (error) {
    self.postMessage({ id, error: { name: error?.name ?? 'Error', message: error?.message ?? String(error) } });
  }
};
