// web/app/layout.js: tags never overlap and stay inside the picture; the
// picture fits its room.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fitPicture, layoutTags, overlap } from '../../web/app/layout.js';

const measure = (text) => 8 * text.length;  // 8 px a character

// A pseudo-random generator, so a failure can be replayed.
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('one face: the full tag above the box', () => {
  const [tag] = layoutTags([{ box: { x: 100, y: 100, width: 80, height: 80 }, text: 'female 97.3%' }],
    { width: 640, height: 480, tagHeight: 20, measure });
  assert.equal(tag.text, '1 female 97.3%');
  assert.deepEqual([tag.x, tag.y, tag.height], [100, 80, 20]);
  assert.equal(tag.short, false);
});

test('a face at the top right edge: the tag slides inside the picture', () => {
  const [tag] = layoutTags([{ box: { x: 600, y: 0, width: 40, height: 40 }, text: 'male 88.0%' }],
    { width: 640, height: 480, tagHeight: 20, measure });
  assert.ok(tag.x >= 0 && tag.x + tag.width <= 640, JSON.stringify(tag));
  assert.ok(tag.y >= 0 && tag.y + tag.height <= 480, JSON.stringify(tag));
});

test('faces side by side: the second tag does not cover the first', () => {
  const faces = [0, 1].map((i) => ({ box: { x: 100 + 50 * i, y: 100, width: 45, height: 45 }, text: 'female 99.9%' }));
  const tags = layoutTags(faces, { width: 640, height: 480, tagHeight: 20, measure });
  assert.equal(overlap(tags[0], tags[1]), false, JSON.stringify(tags));
  assert.equal(tags.some((t) => t.overlaps), false);
});

test('a random crowd: tags never overlap unless there is no room, and stay inside', () => {
  const next = random(7);
  for (let round = 0; round < 50; round += 1) {
    const faces = Array.from({ length: 24 }, () => {
      const side = 20 + next() * 60;
      return { box: { x: next() * (800 - side), y: next() * (600 - side), width: side, height: side }, text: 'female 97.3%' };
    });
    const tags = layoutTags(faces, { width: 800, height: 600, tagHeight: 18, measure });
    assert.equal(tags.length, faces.length);
    tags.forEach((t, i) => {
      assert.ok(t.x >= 0 && t.y >= 0 && t.x + t.width <= 800.5 && t.y + t.height <= 600.5, `tag ${i} leaves the picture`);
      assert.ok(t.text.startsWith(`${i + 1}`), 'each tag starts with its face number');
      if (t.overlaps) return;
      tags.forEach((u, j) => {
        if (j !== i && !u.overlaps) assert.equal(overlap(t, u), false, `tags ${i} and ${j} overlap in round ${round}`);
      });
    });
  }
});

test('fitPicture: large pictures shrink, small ones grow at most 4 times, aspect kept', () => {
  assert.deepEqual(fitPicture(1280, 900, { width: 640, height: 590 }), { width: 640, height: 450, scale: 0.5 });
  const tall = fitPicture(900, 1280, { width: 358, height: 590 });
  assert.ok(tall.height <= 590 && tall.width <= 358);
  assert.equal(fitPicture(83, 107, { width: 1000, height: 1000 }).scale, 4);
});
