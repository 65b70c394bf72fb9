// The JS side of the embind API (what parity.mjs does not cover): accepted
// argument kinds, defaults, how errors reach JS, results that are copies, and
// no leaks when calls fail.
//
//   node api.mjs BUILD/wasm-client/facegender_wasm.mjs CASCADE_DIR
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

import { loadFaceGender } from '../../wasm-client/js/load-node.mjs';

const [modulePath, cascadeDir] = process.argv.slice(2);
if (!modulePath || !cascadeDir) {
  console.error('usage: node api.mjs facegender_wasm.mjs CASCADE_DIR');
  process.exit(2);
}
const fg = await loadFaceGender(modulePath);

const checks = [];
function check(name, body) {
  checks.push([name, body]);
}

function throwsLike(f, name, message) {
  assert.throws(f, (e) => {
    assert.equal(e instanceof Error, true, 'an Error');
    assert.equal(e.name, name);
    if (message instanceof RegExp) assert.match(e.message, message);
    else if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

const cascadeText = readFileSync(path.join(cascadeDir, 'haarcascade_frontalface_default.json'), 'utf8');
// The detectors are built beside the cascades (build/native/{cascades,detectors}).
const detectorDir = path.join(cascadeDir, '..', 'detectors');

check('version', () => {
  assert.equal(typeof fg.coreVersion(), 'string');
  assert.match(fg.coreVersion(), /^facegender-core /);
});

check('pixel arrays: Uint8Array, Uint8ClampedArray (canvas ImageData.data), Array', () => {
  const rgba = [10, 200, 30, 255, 0, 0, 0, 0, 255, 255, 255, 7];
  const a = fg.toGray(new Uint8Array(rgba), 3, 1);
  assert.deepEqual(fg.toGray(new Uint8ClampedArray(rgba), 3, 1), a);
  assert.deepEqual(fg.toGray(rgba, 3, 1), a);
  assert.deepEqual(fg.toGray(new Uint8Array(rgba), 3, 1, 'rgba'), a);
  assert.deepEqual(fg.toGray(new Uint8Array(rgba), 3, 1, 'RGBA8'), a);
  // Alpha is ignored, the same colours as BGR give the same gray.
  const bgr = [30, 200, 10, 0, 0, 0, 255, 255, 255];
  assert.deepEqual(fg.toGray(new Uint8Array(bgr), 3, 1, 'bgr'), a);
  assert.deepEqual(fg.toGray(new Uint8Array(a), 3, 1, 'gray'), a);
  assert.equal(a[1], 0);
  assert.equal(a[2], 255);
});

check('results are copies, not views of the wasm heap', () => {
  const gray = fg.toGray(new Uint8Array(4 * 64), 8, 8);
  assert.equal(gray instanceof Uint8Array, true);
  assert.notEqual(gray.buffer, fg.HEAPU8.buffer);
  assert.equal(gray.byteLength, 64);
  const t = fg.toTensor(gray, 8, 8, null);
  assert.equal(t instanceof Float32Array, true);
  assert.notEqual(t.buffer, fg.HEAPU8.buffer);
});

check('options: null/undefined/missing fields mean the core defaults', () => {
  const gray = new Uint8Array(50 * 40).map((_, i) => (i * 37) & 255);
  const box = { x: 5, y: 4, width: 20, height: 22 };
  const a = fg.cropFace(gray, 50, 40, box, null);
  assert.equal(a.length, 100 * 100);
  assert.deepEqual(fg.cropFace(gray, 50, 40, box, undefined), a);
  assert.deepEqual(fg.cropFace(gray, 50, 40, box, {}), a);
  assert.deepEqual(fg.cropFace(gray, 50, 40, box, { margin: 0.2, size: 100, input: 80 }), a);
  assert.equal(fg.cropFace(gray, 50, 40, box, { size: 64, input: 48 }).length, 64 * 64);
  assert.deepEqual(fg.toTensor(gray, 50, 40, {}), fg.toTensor(gray, 50, 40, { mean: 0, std: 1 }));
});

check('InputError: the core message, name "InputError"', () => {
  throwsLike(() => fg.toGray(new Uint8Array(23), 2, 3), 'InputError',
             'image view: buffer of 23 bytes is smaller than the 2x3 RGBA8 image it should hold (24 bytes)');
  throwsLike(() => fg.resize(new Uint8Array(6), 2, 3, 0, 1), 'InputError', /not positive/);
  throwsLike(() => fg.softmax([]), 'InputError', /no logits/);
  throwsLike(() => fg.parseModelSpec({}), 'InputError', 'model metadata: key "class_names" is missing');
  throwsLike(() => fg.Cascade.fromJson('{"width":', 'broken.json'), 'InputError', /^broken\.json: /);
  const c = fg.Cascade.fromJson(cascadeText, 'default');
  try {
    throwsLike(() => c.detect(new Uint8Array(900), 30, 30, { scaleFactor: 1 }), 'InputError', /scale factor/);
  } finally {
    c.delete();
  }
});

check('TypeError: JS values of the wrong kind', () => {
  const px = new Uint8Array(24);
  throwsLike(() => fg.toGray(new Float32Array(24), 2, 3), 'TypeError',
             'pixels must be a Uint8Array or Uint8ClampedArray, got Float32Array');
  throwsLike(() => fg.toGray(px, 2.5, 3), 'TypeError', 'width must be a 32-bit integer, got 2.5');
  throwsLike(() => fg.toGray(px, '2', 3), 'TypeError', 'width must be a number, got string');
  throwsLike(() => fg.toGray(px, 2, 3, 'yuv'), 'TypeError', /^format must be one of/);
  throwsLike(() => fg.toGray(px, 2), 'TypeError', 'toGray called with 2 arguments, expects 3 or 4');
  throwsLike(() => fg.cropFace(px, 6, 4, { x: 1, y: 1, width: 2 }, null), 'TypeError',
             'box.height must be a number, got undefined');
  throwsLike(() => fg.cropFace(px, 6, 4, { x: 1, y: 1, width: 2, height: 2 }, { margin: '0.2' }), 'TypeError',
             'geometry.margin must be a number, got string');
  throwsLike(() => fg.cropFace(px, 6, 4, { x: 1, y: 1, width: 2, height: 2 }, 7), 'TypeError',
             'geometry must be an object, got number');
  throwsLike(() => fg.parseModelSpec('{}'), 'TypeError', /^metadata must be an object/);
  throwsLike(() => fg.predict([0.5, 0.5], 'ab'), 'TypeError', /^classNames must be an Array/);
  // Wrong argument count on a plain function: embind's own error.
  assert.throws(() => fg.centerCrop(px, 6, 4));
});

check('Cascade: properties, detect, delete', () => {
  const c = fg.Cascade.fromJson(cascadeText, 'default');
  assert.deepEqual([c.windowWidth, c.windowHeight], [24, 24]);
  assert.equal(Number.isInteger(c.stageCount) && c.stageCount > 10, true);
  assert.deepEqual(c.detect(new Uint8Array(64 * 48), 64, 48, null), []);
  assert.deepEqual(fg.findFaces(c, new Uint8Array(64 * 48), 64, 48, { padFraction: 0.2, maxSide: 32 }), []);
  assert.equal(fg.estimateRoll(c, new Uint8Array(64 * 48), 64, 48, { x: 0, y: 0, width: 64, height: 48 }), null);
  c.delete();
  assert.throws(() => c.detect(new Uint8Array(64 * 48), 64, 48, null));
});

check('faceInputs: shape of an empty result', () => {
  const c = fg.Cascade.fromJson(cascadeText, 'default');
  try {
    const r = fg.faceInputs(c, new Uint8ClampedArray(4 * 120 * 90), 120, 90, null, { size: 64, input: 56 }, null);
    assert.deepEqual(r.boxes, []);
    assert.equal(r.tensor instanceof Float32Array && r.tensor.length === 0, true);
    assert.deepEqual(r.dims, [0, 1, 56, 56]);
    assert.ok(r.timings.detectMs >= 0 && r.timings.prepareMs >= 0, JSON.stringify(r.timings));
  } finally {
    c.delete();
  }
});

check('FaceTracker: settings are checked, full searches come on schedule', () => {
  const c = fg.Cascade.fromJson(cascadeText, 'default');
  assert.throws(() => fg.FaceTracker.create(null, { fullSearchEvery: 0 }), /full_search_every/);
  assert.throws(() => fg.FaceTracker.create(null, { window: 'wide' }), /settings.window/);
  const tracker = fg.FaceTracker.create({ maxSide: 320 }, { fullSearchEvery: 2 });
  try {
    const frame = new Uint8ClampedArray(4 * 120 * 90);
    const flags = [0, 1, 2, 3].map(() => tracker.faceInputs(c, frame, 120, 90, null, null).fullSearch);
    assert.deepEqual(flags, [true, false, true, false]);
    tracker.reset();
    assert.equal(tracker.faceInputs(c, frame, 120, 90, null, null).fullSearch, true);
    assert.equal(tracker.lastWasFullSearch, true);
  } finally {
    tracker.delete();
    c.delete();
  }
});

check('postprocess', () => {
  const p = fg.softmax(new Float32Array([1, 2, 3]));
  assert.equal(p instanceof Float32Array && p.length === 3, true);
  assert.deepEqual(fg.softmax([1, 2, 3]), p);
  assert.equal(fg.formatLabel('female', 0.9734), 'female 97.3%');
  assert.deepEqual(fg.predict(new Float32Array([0.25, 0.75]), ['female', 'male']),
                   { classIndex: 1, className: 'male', confidence: 0.75, label: 'male 75.0%' });
  const spec = {
    classNames: ['female', 'male'],
    crop: { margin: 0.25, size: 100, input: 80 },
    cropSpec: { kind: 'box', margin: 0.25, size: 100, input: 80 },
    detector: 'haar',
    normalization: { mean: 0.5, std: 0.25 },
    temperature: 1,
  };
  const strings = { class_names: '["female","male"]', crop: '{"margin":0.25,"size":100,"input":80}',
                    normalization: '{"mean":0.5,"std":0.25}', other: 'ignored' };
  assert.deepEqual(fg.parseModelSpec(strings), spec);
  assert.deepEqual(fg.parseModelSpec(new Map(Object.entries(strings))), spec);
  // Already parsed values are accepted too.
  assert.deepEqual(fg.parseModelSpec({ class_names: ['female', 'male'], crop: spec.crop,
                                       normalization: spec.normalization }), spec);
});

// The CLI follows the same rule (tests/trainer/export/classify_test.cpp).
check('model output: which one, probabilities or logits', () => {
  assert.deepEqual(fg.chooseModelOutput(['features', 'probabilities'], {}), { name: 'probabilities', kind: 'probabilities' });
  assert.deepEqual(fg.chooseModelOutput(['logits'], {}), { name: 'logits', kind: 'logits' });
  assert.deepEqual(fg.chooseModelOutput(['dense'], { output: 'logits' }), { name: 'dense', kind: 'logits' });
  throwsLike(() => fg.chooseModelOutput(['dense'], {}), 'InputError', /neither "probabilities" nor "logits"/);
  throwsLike(() => fg.chooseModelOutput('dense', {}), 'TypeError', /outputNames must be an Array/);
  assert.deepEqual(fg.outputProbabilities([-2.3, 1.1], 'logits', 2, 1), fg.softmax([-2.3, 1.1]));
  assert.deepEqual(Array.from(fg.outputProbabilities([0.25, 0.75], 'probabilities', 2, undefined)), [0.25, 0.75]);
  // The model's temperature divides the logits (through log p for probabilities).
  const calibrated = fg.outputProbabilities(fg.softmax([-1.5, 2.5]), 'probabilities', 2, 2);
  const expected = fg.softmax([-0.75, 1.25]);
  assert.ok(Math.abs(calibrated[1] - expected[1]) < 1e-6, `${calibrated[1]} vs ${expected[1]}`);
  throwsLike(() => fg.outputProbabilities([0.5, 0.5], 'probabilities', 2, 0), 'InputError', /temperature/);
  throwsLike(() => fg.outputProbabilities([-2.3, 1.1], 'probabilities', 2, 1), 'InputError', /not a probability/);
  throwsLike(() => fg.outputProbabilities([0.2, 0.3, 0.5], 'logits', 2, 1), 'InputError', /3 values for 2 classes/);
  throwsLike(() => fg.outputProbabilities([0.5, 0.5], 'scores', 2, 1), 'TypeError', /kind must be/);
});

check('FaceFinder: scenes, checked arguments, errors name the problem', () => {
  const finder = fg.FaceFinder.fromBytes(new Uint8Array(readFileSync(`${detectorDir}/face_detection_short_range.fgnet`)),
    new Uint8Array(readFileSync(`${detectorDir}/face_detection_full_range.fgnet`)));
  try {
    assert.equal(fg.scenePreset('webcam').fullRange, false);
    assert.equal(fg.scenePreset('chip').maxFaces, 1);
    throwsLike(() => fg.scenePreset('selfie'), 'InputError', /unknown scene 'selfie'/);
    const gray = new Uint8Array(64 * 48).fill(128);
    assert.deepEqual(finder.find(gray, 64, 48, 'gray', 'photo'), []);
    assert.deepEqual(finder.find(gray, 64, 48, 'gray', { scene: 'webcam', shortMinScore: 0.9 }), []);
    throwsLike(() => finder.find(gray, 64, 48, 'gray', { shortMinScore: 2 }), 'InputError', /scores in \(0, 1\)/);
    throwsLike(() => finder.faceInputs(gray, 64, 48, 'photo', null, null), 'InputError', /smaller than the 64x48 RGBA8 image/);
    const empty = finder.faceInputs(new Uint8Array(64 * 48 * 4), 64, 48, 'photo', { kind: 'aligned' }, null);
    assert.equal(empty.input, 80);
    assert.equal(empty.tensor.length, 0);
    assert.throws(() => finder.faceInputs(new Uint8Array(64 * 48 * 4), 64, 48, 'photo', { kind: 'oval' }, null),
      /crop.kind must be "box" or "aligned"/);
    throwsLike(() => fg.FaceFinder.fromBytes(new Uint8Array(16), new Uint8Array(16)), 'InputError',
      /face_detection_short_range.fgnet: not a facegender network file/);
  } finally {
    finder.delete();
  }
});

check('dataset rules: split rule, rules and face check as prepare has them', () => {
  assert.equal(fg.splitOfSha256('b9f00abe56f5cc8c1526e77d1182047190de34762a205a6b048b302ca6c68ba6'), 'test');
  assert.equal(fg.splitOfSha256('0000000B'), 'val');
  assert.equal(fg.splitOfSha256('15b52fdfc03a1f9ff75a2432b4164c81f1fc4a5defc508723718fc30d377286c'), 'train');
  throwsLike(() => fg.splitOfSha256('12345'), 'InputError', /'12345' does not start with 8 hex digits/);
  throwsLike(() => fg.splitOfSha256(12345678), 'TypeError');
  assert.deepEqual(fg.datasetRules(), { minFace: 40, pose: { yaw: 10, pitch: 10, roll: 5 } });
  assert.deepEqual(fg.checkFaces([], 100, 100), { issue: 'no_face', detail: 'no face found' });
  throwsLike(() => fg.checkFaces('no', 100, 100), 'TypeError', /faces must be an array/);
  throwsLike(() => fg.checkFaces([], 0, 100), 'InputError', /not positive/);
});

check('failing calls leak nothing (wasm heap, emval handles)', () => {
  const frame = new Uint8ClampedArray(4 * 200 * 150);
  const c = fg.Cascade.fromJson(cascadeText, 'default');
  const run = () => {
    for (let i = 0; i < 3000; ++i) {
      for (const f of [
        () => fg.toGray(frame, 200, 151),
        () => fg.toGray(frame, 200, 'x'),
        () => fg.cropFace(frame, 200, 150, { x: 500, y: 0, width: 10, height: 10 }, null),
        () => fg.faceInputs(c, frame, 200, 150, { scaleFactor: 9 }, null, null),
        () => fg.parseModelSpec({ class_names: '[1,2]', crop: '{}', normalization: '{}' }),
        () => c.detect(frame, 200, 150, { scaleFactor: 0.5 }),
        () => fg.Cascade.fromJson('[]', 'x'),
      ]) {
        assert.throws(f);
      }
    }
  };
  run();  // warm up: the heap may grow once
  const heap = fg.HEAPU8.byteLength;
  const handles = fg.count_emval_handles();
  run();
  assert.equal(fg.HEAPU8.byteLength, heap, 'wasm heap grew');
  assert.equal(fg.count_emval_handles(), handles, 'emval handles leaked');
  c.delete();
});

let failed = 0;
for (const [name, body] of checks) {
  try {
    body();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}\n     ${String(e.stack ?? e).split('\n').slice(0, 6).join('\n     ')}`);
  }
}
console.log(`api: ${checks.length - failed} of ${checks.length} checks passed`);
process.exit(failed === 0 ? 0 : 1);
