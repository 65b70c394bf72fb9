// Replays the vectors written by make_parity_vectors through the embind API of
// the WebAssembly build and requires exactly the native results: the same
// bytes for images and float32 tensors, the same boxes, numbers (Object.is),
// strings, and the same errors (name and message).
//
//   node parity.mjs BUILD/wasm-client/facegender_wasm.mjs VECTORS_DIR
//
// Exit status: 0 when every vector is identical, 1 on any difference (the
// first ones are described), 2 on a usage or setup problem.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

import { loadFaceGender } from '../../wasm-client/js/load-node.mjs';

const MAX_REPORTED = 10;

function fail(message) {
  console.error(`parity: ${message}`);
  process.exit(2);
}

const [modulePath, vectorsDir] = process.argv.slice(2);
if (!modulePath || !vectorsDir) {
  fail(`usage: node ${path.basename(fileURLToPath(import.meta.url))} facegender_wasm.mjs VECTORS_DIR`);
}

const manifest = JSON.parse(readFileSync(path.join(vectorsDir, 'manifest.json'), 'utf8'));
if (manifest.format !== 1) fail(`unknown manifest format ${manifest.format}`);

const fg = await loadFaceGender(modulePath);

// ---- inputs ------------------------------------------------------------------

function readBytes(file) {
  const buf = readFileSync(path.join(vectorsDir, file));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function readData(ref) {
  const bytes = readBytes(ref.file);
  if (bytes.byteLength !== ref.bytes) throw new Error(`${ref.file}: ${bytes.byteLength} bytes, manifest says ${ref.bytes}`);
  if (ref.type === 'u8') return bytes;
  if (ref.type === 'f32') return new Float32Array(bytes.slice().buffer);
  throw new Error(`unknown data type ${ref.type}`);
}

const imageCache = new Map();
function image(name) {
  let img = imageCache.get(name);
  if (!img) {
    const entry = manifest.images[name];
    if (!entry) throw new Error(`image ${name} is not in the manifest`);
    img = { ...entry, pixels: readBytes(entry.file) };
    imageCache.set(name, img);
  }
  return img;
}

function grayImage(name) {
  const img = image(name);
  if (img.format !== 'gray') throw new Error(`vector needs a gray image, ${name} is ${img.format}`);
  return img;
}

const cascades = {};
for (const [name, file] of Object.entries(manifest.cascades)) {
  // The native side loaded it with Cascade::from_file, which names it by its path.
  cascades[name] = fg.Cascade.fromJson(readFileSync(file, 'utf8'), file);
}

const d = manifest.detectors;
const finder = fg.FaceFinder.fromBytes(new Uint8Array(readFileSync(d.shortRange)), new Uint8Array(readFileSync(d.fullRange)));

function cascadeInfo(c) {
  return { windowWidth: c.windowWidth, windowHeight: c.windowHeight, stageCount: c.stageCount };
}

// ---- the ops: one vector in, the API's result out ---------------------------

const ops = {
  cascadeFromJson(v) {
    if (v.cascade) return cascadeInfo(cascades[v.cascade]);
    const c = fg.Cascade.fromJson(v.text, v.sourceName);
    try {
      return cascadeInfo(c);
    } finally {
      c.delete();
    }
  },
  toGray(v) {
    const img = image(v.image);
    return { pixels: fg.toGray(img.pixels, img.width, img.height, img.format) };
  },
  resize(v) {
    const img = grayImage(v.image);
    return { pixels: fg[v.fn](img.pixels, img.width, img.height, v.newWidth, v.newHeight) };
  },
  squareCrop(v) {
    const img = grayImage(v.image);
    return fg.squareCrop(img.pixels, img.width, img.height, v.box, v.margin);
  },
  cropFace(v) {
    const img = grayImage(v.image);
    return { pixels: fg.cropFace(img.pixels, img.width, img.height, v.box, v.geometry) };
  },
  centerCrop(v) {
    const img = grayImage(v.image);
    return { pixels: fg.centerCrop(img.pixels, img.width, img.height, v.size) };
  },
  toTensor(v) {
    const img = grayImage(v.image);
    return { tensor: fg.toTensor(img.pixels, img.width, img.height, v.normalization) };
  },
  detect(v) {
    const img = grayImage(v.image);
    return { boxes: cascades[v.cascade].detect(img.pixels, img.width, img.height, v.params) };
  },
  detectCandidates(v) {
    const img = grayImage(v.image);
    return { boxes: cascades[v.cascade].detectCandidates(img.pixels, img.width, img.height, v.params) };
  },
  findFaces(v) {
    const img = grayImage(v.image);
    return { boxes: fg.findFaces(cascades[v.cascade], img.pixels, img.width, img.height, v.search) };
  },
  estimateRoll(v) {
    const img = grayImage(v.image);
    return { roll: fg.estimateRoll(cascades[v.cascade], img.pixels, img.width, img.height, v.box) };
  },
  faceInputs(v) {
    const img = image(v.image);
    if (img.format !== 'rgba') throw new Error(`faceInputs needs an rgba image, ${v.image} is ${img.format}`);
    // timings are wall time, the one field that differs between runs.
    const { boxes, tensor, dims } = fg.faceInputs(cascades[v.cascade], img.pixels, img.width, img.height,
      v.search, v.geometry, v.normalization);
    return { boxes, tensor, dims };
  },
  trackFaces(v) {
    const tracker = fg.FaceTracker.create(v.search, v.settings);
    try {
      return {
        frames: v.frames.map((name) => {
          const img = image(name);
          const { boxes, tensor, fullSearch } = tracker.faceInputs(cascades[v.cascade], img.pixels, img.width,
            img.height, v.geometry, null);
          return { boxes, fullSearch, tensor };
        }),
      };
    } finally {
      tracker.delete();
    }
  },
  finderFind(v) {
    const img = image(v.image);
    return { faces: finder.find(img.pixels, img.width, img.height, img.format, v.scene) };
  },
  letterboxInput(v) {
    const img = image(v.image);
    return { tensor: fg.letterboxInput(img.pixels, img.width, img.height, img.format, v.region, v.size) };
  },
  alignedCrop(v) {
    const img = grayImage(v.image);
    return { pixels: fg.alignedCrop(img.pixels, img.width, img.height, v.face, v.spec) };
  },
  estimatePose(v) {
    return fg.estimatePose(v.face);
  },
  checkFaces(v) {
    return fg.checkFaces(v.faces, v.width, v.height);
  },
  finderFaceInputs(v) {
    const img = image(v.image);
    const { boxes, faces, input, tensor } = finder.faceInputs(img.pixels, img.width, img.height, v.scene, v.crop,
      v.normalization);
    return { boxes, faces, input, tensor };
  },
  smoothFaces(v) {
    const smoother = fg.FaceSmoother.create(null);
    try {
      return {
        frames: v.frames.map((name) => {
          const img = image(name);
          const { faces, tensor } = smoother.faceInputs(finder, img.pixels, img.width, img.height, v.crop, null);
          return { faces, tensor };
        }),
      };
    } finally {
      smoother.delete();
    }
  },
  softmax(v) {
    return { probabilities: fg.softmax(readData(v.logits)) };
  },
  formatLabel(v) {
    return { label: fg.formatLabel(v.name, v.probability) };
  },
  predict(v) {
    return fg.predict(readData(v.probabilities), v.classNames);
  },
  parseModelSpec(v) {
    return fg.parseModelSpec(v.metadata);
  },
};

// ---- comparison ----------------------------------------------------------------

function describe(value) {
  if (value instanceof Uint8Array || value instanceof Float32Array) {
    return `${value.constructor.name}(${value.length})`;
  }
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function compareData(ref, actual, where, diffs) {
  const Type = ref.type === 'u8' ? Uint8Array : Float32Array;
  if (!(actual instanceof Type)) {
    diffs.push(`${where}: expected a ${Type.name}, got ${describe(actual)}`);
    return;
  }
  const expected = readData(ref);
  const a = new Uint8Array(actual.buffer, actual.byteOffset, actual.byteLength);
  const e = new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.length !== e.length) {
    diffs.push(`${where}: ${Type.name} of ${actual.length} elements, native has ${expected.length} (${ref.file})`);
    return;
  }
  let first = -1;
  let count = 0;
  const size = Type.BYTES_PER_ELEMENT;
  for (let i = 0; i < e.length; i += size) {
    let same = true;
    for (let k = 0; k < size; ++k) same &&= a[i + k] === e[i + k];
    if (!same) {
      if (first < 0) first = i / size;
      ++count;
    }
  }
  if (count > 0) {
    diffs.push(`${where}: ${count} of ${expected.length} elements differ; first at [${first}]: ` +
               `wasm ${actual[first]}, native ${expected[first]} (${ref.file})`);
  }
}

function isDataRef(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'file' in value && 'type' in value;
}

function compare(expected, actual, where, diffs) {
  if (isDataRef(expected)) {
    compareData(expected, actual, where, diffs);
  } else if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      diffs.push(`${where}: expected ${describe(expected)}, got ${describe(actual)}`);
      return;
    }
    expected.forEach((e, i) => compare(e, actual[i], `${where}[${i}]`, diffs));
  } else if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      diffs.push(`${where}: expected an object, got ${describe(actual)}`);
      return;
    }
    const ek = Object.keys(expected).sort();
    const ak = Object.keys(actual).sort();
    if (ek.join() !== ak.join()) diffs.push(`${where}: keys ${ak.join(',')} instead of ${ek.join(',')}`);
    for (const k of ek) compare(expected[k], actual[k], where ? `${where}.${k}` : k, diffs);
  } else if (!Object.is(expected, actual)) {
    diffs.push(`${where}: expected ${describe(expected)}, got ${describe(actual)}`);
  }
}

// ---- the run -------------------------------------------------------------------

const started = performance.now();
const stats = new Map();
const mismatches = [];
let identical = 0;

if (fg.coreVersion() !== manifest.coreVersion) {
  mismatches.push({ id: 'coreVersion', diffs: [`wasm "${fg.coreVersion()}", native "${manifest.coreVersion}"`] });
}

for (const v of manifest.vectors) {
  const op = ops[v.op];
  if (!op) fail(`no replay for op "${v.op}" (vector ${v.id})`);
  const t0 = performance.now();
  let outcome;
  try {
    outcome = { value: op(v) };
  } catch (e) {
    outcome = { error: e };
  }
  const ms = performance.now() - t0;
  const diffs = [];
  if ('error' in v.expect) {
    if (!outcome.error) {
      diffs.push(`native threw ${v.expect.error.name}: ${v.expect.error.message}; wasm returned ${describe(outcome.value)}`);
    } else if (outcome.error.name !== v.expect.error.name || outcome.error.message !== v.expect.error.message) {
      diffs.push(`native threw ${v.expect.error.name}: ${v.expect.error.message}; ` +
                 `wasm threw ${outcome.error.name}: ${outcome.error.message}`);
    }
  } else if (outcome.error) {
    diffs.push(`wasm threw ${outcome.error?.name}: ${outcome.error?.message ?? outcome.error}`);
  } else {
    compare(v.expect, outcome.value, '', diffs);
  }
  const s = stats.get(v.op) ?? { total: 0, identical: 0, ms: 0 };
  s.total += 1;
  s.ms += ms;
  if (diffs.length === 0) {
    s.identical += 1;
    identical += 1;
  } else {
    mismatches.push({ id: v.id, v, diffs });
  }
  stats.set(v.op, s);
}

for (const c of Object.values(cascades)) c.delete();

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`parity: ${manifest.vectors.length} vectors, ${identical} identical (${seconds}s, core "${fg.coreVersion()}")`);
for (const [op, s] of [...stats].sort()) {
  console.log(`  ${op.padEnd(17)} ${String(s.identical).padStart(4)}/${String(s.total).padEnd(4)} ${s.ms.toFixed(0).padStart(6)} ms`);
}

if (mismatches.length > 0) {
  console.error(`\nparity: FAILED: ${mismatches.length} differ${mismatches.length === 1 ? 's' : ''} between wasm and native; the first:`);
  for (const m of mismatches.slice(0, MAX_REPORTED)) {
    const args = m.v ? Object.fromEntries(Object.entries(m.v).filter(([k]) => !['id', 'op', 'expect'].includes(k))) : {};
    console.error(`- ${m.id} ${m.v ? describe(args) : ''}`);
    for (const d of m.diffs.slice(0, 5)) console.error(`    ${d}`);
  }
  process.exit(1);
}
