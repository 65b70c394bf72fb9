// @ts-check
// window.__facegender: the page's state and last result, for tests, the
// benchmarks (web/bench/) and curious users. Every hook lives here.

/** @typedef {import('../facegender/facegender').Result} Result */

// The last FRAME_LOG_SIZE video frames' timings (ms), oldest first.
const FRAME_LOG_SIZE = 2000;

export const debug = {
  state: 'loading',
  backend: /** @type {string | null} */ (null),
  backendNote: '',
  threads: 0,
  classNames: /** @type {string[] | null} */ (null),
  loadTimings: /** @type {Record<string, number> | null} */ (null),
  /** @type {any} */
  last: null,
  /** @type {{tensor: Float32Array, dims: number[]} | null} */
  lastInput: null,
  /** @type {string[]} */
  messages: [],
  /** @type {string[]} */
  cspViolations: [],
  framesClassified: 0,
  /** @type {object[]} */
  frameLog: [],
  photosClassified: 0,
  fps: 0,
  offline: /** @type {string} */ ('not registered'),
  /** @type {() => object | null} */
  inspectorStatus: () => null,
};

/** @param {object} entry */
export function logFrame(entry) {
  if (debug.frameLog.length >= FRAME_LOG_SIZE) debug.frameLog.shift();
  debug.frameLog.push(entry);
}

/**
 * Keeps `result` as the last one: boxes, BlazeFace faces, probability rows
 * (class order), labels, timings; its model input by reference (no copy).
 * @param {Result} result @param {string} source @param {string} name
 */
export function recordResult(result, source, name) {
  debug.lastInput = result.input;
  debug.last = {
    source,
    name,
    width: result.width,
    height: result.height,
    boxes: result.faces.map((f) => ({ ...f.box })),
    // The detector's faces (box, score, keypoints), from which aligned crops are cut; null without.
    faces: result.faces.some((f) => f.detection)
      ? result.faces.map((f) => ({ ...f.detection, score: f.score, keypoints: f.keypoints, id: f.id })) : null,
    probabilities: result.faces.map((f) => result.classNames.map((c) => f.probabilities[c])),
    labels: result.faces.map((f) => f.text),
    timings: result.timings,
  };
}

export function installDebug() {
  // @ts-ignore: the page's one global
  window.__facegender = debug;
  Object.defineProperty(debug, 'inspector', { enumerable: true, get: () => debug.inspectorStatus() });
  document.addEventListener('securitypolicyviolation', (event) => {
    debug.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
  });
}
