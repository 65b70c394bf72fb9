// @ts-check
// The page's classifier, running in a Worker (classifier-worker.js) so the
// main thread only captures frames and draws: a full face search (~50 ms in
// WebAssembly on a slow machine) or an inference never freezes the page.
// Same interface as pipeline.js's Classifier, every call asynchronous:
//
//   const classifier = await ClassifierClient.load(onProgress, { backend, threads });
//   const result = await classifier.classifyFaces(rgba, width, height, PHOTO_SEARCH);

export class ClassifierClient {
  /**
   * Starts the worker and loads the core, detector and model there.
   * @param {(text: string) => void} [onProgress]
   * @param {{backend?: string, threads?: number, model?: string | null}} [options]
   */
  static async load(onProgress = () => {}, { backend = 'auto', threads, model = null } = {}) {
    const worker = new Worker(new URL('./classifier-worker.js', import.meta.url), { type: 'module' });
    const client = new ClassifierClient(worker, onProgress);
    try {
      Object.assign(client, await client.call('load', { backend, threads, model }));
    } catch (error) {
      worker.terminate();
      throw error;
    }
    return client;
  }

  constructor(worker, onProgress) {
    this.worker = worker;
    this.onProgress = onProgress;
    this.pending = new Map();
    this.nextId = 1;
    this.failure = null;
    worker.onmessage = ({ data }) => this.receive(data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.fail(new Error(`the classifier's thread failed: ${event.message || 'it could not start'}`));
    };
  }

  receive({ id, value, error, progress }) {
    if (progress !== undefined) {
      this.onProgress(progress);
      return;
    }
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    if (error) {
      const failure = new Error(error.message);
      failure.name = error.name;
      call.reject(failure);
    } else {
      call.resolve(value);
    }
  }

  fail(error) {
    this.failure = error;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }

  call(op, args = {}, transfer = []) {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const id = this.nextId;
      this.nextId += 1;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  /** Photos: the pixels are copied (the page keeps them to classify again). */
  classifyFaces(rgba, width, height, search) {
    return this.call('classifyFaces', { rgba, width, height, search });
  }

  classifyWhole(rgba, width, height) {
    return this.call('classifyWhole', { rgba, width, height });
  }

  /** Webcam frames: the pixels are handed over, not copied; `rgba` is unusable after. */
  classifyVideoFrame(rgba, width, height, tracking) {
    return this.call('classifyVideoFrame', { rgba, width, height, tracking }, [rgba.buffer]);
  }

  resetTracking() {
    return this.call('resetTracking');
  }

  featureMaps(input) {
    return this.call('featureMaps', { input });
  }

  /** Stops the worker; every call after fails. */
  terminate() {
    this.worker.terminate();
    this.fail(new Error('the classifier was closed'));
  }

  /** Another backend for the same core and model; this object then describes it. */
  async switchBackend(backend, onProgress = this.onProgress) {
    this.onProgress = onProgress;
    Object.assign(this, await this.call('switchBackend', { backend }));
  }
}
