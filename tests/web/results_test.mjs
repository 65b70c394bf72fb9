// web/app/results.js: the results file the page offers for download.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { probabilityText, resultRecord } from '../../web/app/results.js';

const face = {
  index: 0, id: null, box: { x: 1, y: 2, width: 30, height: 30 }, detection: null, score: 0.9,
  keypoints: [{ x: 5, y: 6 }], label: 'female', probability: 0.973, text: 'female 97.3%',
  probabilities: { female: 0.973, male: 0.027 },
};
const result = { width: 640, height: 480, faces: [face], classNames: ['female', 'male'],
  timings: { detectMs: 1, prepareMs: 2, inferMs: 3, totalMs: 6 }, input: { tensor: new Float32Array(1), dims: [1] } };

test('resultRecord numbers faces from 1 and keeps labels and probabilities', () => {
  const record = resultRecord(result, { name: 'team.jpg', backend: 'WebAssembly', model: { detector: 'blazeface' } });
  assert.deepEqual(record.picture, { name: 'team.jpg', width: 640, height: 480 });
  assert.equal(record.faces[0].number, 1);
  assert.equal(record.faces[0].text, 'female 97.3%');
  assert.deepEqual(record.faces[0].probabilities, { female: 0.973, male: 0.027 });
  assert.equal(record.wholeImage, false);
  assert.equal('input' in record, false, 'no model tensor in the file');
  assert.doesNotThrow(() => JSON.stringify(record));
});

test('probabilityText lists every class', () => {
  assert.equal(probabilityText(face), 'female 97.3%, male 2.7%');
});
