// web/facegender/image-file.js: formats from the first bytes, sizes from headers.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { headerSize, sniffFormat } from '../../web/facegender/image-file.js';

function png(width, height) {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return new Uint8Array(b);
}

function jpeg(width, height) {
  // SOI, an APP0 segment, then a baseline frame header (SOF0).
  const app0 = [0xff, 0xe0, 0x00, 0x04, 0x00, 0x00];
  const sof0 = [0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00];
  return new Uint8Array([0xff, 0xd8, ...app0, ...sof0]);
}

test('formats come from the bytes', () => {
  assert.equal(sniffFormat(png(1, 1)), 'png');
  assert.equal(sniffFormat(jpeg(1, 1)), 'jpeg');
  assert.equal(sniffFormat(new TextEncoder().encode('GIF89a......')), 'gif');
  assert.equal(sniffFormat(new TextEncoder().encode('This is text, not a photo.')), null);
  assert.equal(sniffFormat(new Uint8Array(0)), null);
});

test('sizes come from the headers', () => {
  assert.deepEqual(headerSize(png(15000, 10000), 'png'), { width: 15000, height: 10000 });
  assert.deepEqual(headerSize(jpeg(640, 480), 'jpeg'), { width: 640, height: 480 });
  assert.equal(headerSize(jpeg(640, 480).subarray(0, 10), 'jpeg'), null, 'a cut header gives no size');
});
