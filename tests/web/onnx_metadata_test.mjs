// web/facegender/onnx-metadata.js on the shipped model: the metadata the
// page reads (detector, crop, classes, temperature).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { readOnnxMetadata } from '../../web/facegender/onnx-metadata.js';

test('the shipped model names its detector, classes and temperature', async () => {
  const bytes = new Uint8Array(await readFile(new URL('../../models/facegender.onnx', import.meta.url)));
  const metadata = readOnnxMetadata(bytes);
  assert.equal(metadata.detector, 'blazeface');
  assert.ok(Number(metadata.temperature) > 0 && Number(metadata.temperature) !== 1, metadata.temperature);
  assert.ok(metadata.class_names || metadata.classes, JSON.stringify(Object.keys(metadata)));
});

test('bytes that are not a model are refused', () => {
  assert.throws(() => readOnnxMetadata(new Uint8Array([1, 2, 3, 4, 5])));
});
