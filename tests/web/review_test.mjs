// web/review/: the review page's pure modules: the folder's layout and given
// labels, the order by need, the keys, and the exports prepare reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AMBIGUOUS, UNUSABLE, byNeed, currentLabel, decisionKeys, need, reviewState, tally, FILTERS }
  from '../../web/review/decisions.js';
import { labelRows, labelsCsv, seedLayoutPlan } from '../../web/review/export.js';
import { classOf, csvLabels, findLabelsCsv, pathInFolder, readLayout, reviewedDecisions, REVIEW_LABELS_FILE }
  from '../../web/review/folder.js';

const CLASSES = ['male', 'female'];

/** A scored photo with the given label index and the model's female probability. */
function photo(index, given, female, extra = {}) {
  return { index, path: `p${index}.jpg`, given, givenAmbiguous: false, note: '', scored: true, sha256: `${index}`.padStart(64, 'a'),
    split: 'train', issue: 'none', detail: '', probabilities: female === null ? null : [1 - female, female], decision: null, ...extra };
}

test('pathInFolder drops the picked folder\'s own name', () => {
  assert.equal(pathInFolder('photos/Train/male/a.jpg'), 'Train/male/a.jpg');
  assert.equal(pathInFolder('a.jpg'), 'a.jpg');
});

test('classOf matches names in any case and indices, nothing else', () => {
  assert.equal(classOf('Female', CLASSES), 1);
  assert.equal(classOf(' 0 ', CLASSES), 0);
  assert.equal(classOf('2', CLASSES), null);
  assert.equal(classOf('woman', CLASSES), null);
});

test('findLabelsCsv prefers labels.csv, takes a lone CSV, never the review\'s own file', () => {
  assert.equal(findLabelsCsv(['a.jpg', 'x.csv', 'labels.csv']), 'labels.csv');
  assert.equal(findLabelsCsv(['a.jpg', 'mine.csv', REVIEW_LABELS_FILE]), 'mine.csv');
  assert.equal(findLabelsCsv(['a.jpg', 'one.csv', 'two.csv']), null);
  assert.equal(findLabelsCsv(['sub/labels.csv']), null);
});

test('the seed layout gives classes from Train/Eval folders and marks ambiguous/ anywhere', () => {
  const paths = ['Train/male/a.jpg', 'Eval/Female/b.png', 'ambiguous/c.jpg', 'Train/female/ambiguous/d.jpg',
    'Train/cats/e.jpg', 'notes.txt'];
  const { layout, photos, problems } = readLayout(paths, CLASSES);
  assert.equal(layout, 'seed');
  const by = Object.fromEntries(photos.map((p) => [p.path, p]));
  assert.equal(photos.length, 5, 'only images');
  assert.equal(by['Train/male/a.jpg'].given, 0);
  assert.equal(by['Eval/Female/b.png'].given, 1);
  assert.deepEqual([by['ambiguous/c.jpg'].given, by['ambiguous/c.jpg'].givenAmbiguous], [null, true]);
  assert.deepEqual([by['Train/female/ambiguous/d.jpg'].given, by['Train/female/ambiguous/d.jpg'].givenAmbiguous], [1, true]);
  assert.match(by['Train/cats/e.jpg'].note, /"cats" is not one of the model's classes/);
  assert.equal(problems, 1);
});

test('a labels CSV gives labels by path (label, else gender column; names or indices; quoted fields)', () => {
  const text = '\uFEFFpath,gender,sha256\n"x, y.jpg",1,aa\nb.jpg,0,bb\nc.jpg,ambiguous,cc\nd.jpg,cat,dd\n';
  const { photos, layout, problems } = readLayout(['x, y.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg', 'labels.csv'],
    CLASSES, { name: 'labels.csv', text });
  assert.equal(layout, 'csv');
  const by = Object.fromEntries(photos.map((p) => [p.path, p]));
  assert.equal(by['x, y.jpg'].given, 1);
  assert.equal(by['b.jpg'].given, 0);
  assert.equal(by['c.jpg'].givenAmbiguous, true);
  assert.match(by['d.jpg'].note, /labels\.csv line 5: label "cat"/);
  assert.match(by['e.jpg'].note, /not in labels\.csv/);
  assert.equal(problems, 1);
  assert.throws(() => csvLabels('file,label\na.jpg,0\n', 'bad.csv', CLASSES), /bad\.csv: no "path" column/);
  assert.throws(() => csvLabels('path,kind\na.jpg,0\n', 'bad.csv', CLASSES), /bad\.csv: no "label" or "gender" column/);
});

test('a folder with neither is flat: every photo unlabelled', () => {
  const { layout, photos } = readLayout(['b.jpg', 'a.JPG', '.hidden.jpg', 'sub/c.webp'], CLASSES);
  assert.equal(layout, 'flat');
  assert.deepEqual(photos.map((p) => p.path), ['a.JPG', 'b.jpg', 'sub/c.webp']);
  assert.ok(photos.every((p) => p.given === null));
});

test('need: contradicted labels first (most contradicted first), then unsure, then no opinion, then the rest', () => {
  const photos = [
    photo(0, 0, 0.02),                  // agrees strongly
    photo(1, 0, 0.95),                  // contradicted
    photo(2, 1, 0.55),                  // unsure
    photo(3, 0, 0.99),                  // contradicted harder
    photo(4, 1, null, { issue: 'no_face' }),
    photo(5, 1, 0.85),                  // agrees, less strongly
    { ...photo(6, 0, 0.5), scored: false, probabilities: undefined },
    photo(7, null, 0.7),                // unlabelled, unsure
  ];
  assert.deepEqual(byNeed(photos).map((p) => p.index), [3, 1, 2, 7, 4, 5, 0, 6]);
  assert.equal(need(photos[0]).group, 3);
  assert.equal(need(photos[4]).group, 2);
});

test('states and filters follow the decision against the given label', () => {
  const p = photo(0, 0, 0.9);
  assert.equal(reviewState(p, CLASSES), 'unreviewed');
  assert.equal(currentLabel(p, CLASSES), 'male');
  assert.equal(reviewState({ ...p, decision: 'male' }, CLASSES), 'confirmed');
  assert.equal(reviewState({ ...p, decision: 'female' }, CLASSES), 'changed');
  assert.equal(reviewState({ ...p, given: null, decision: 'female' }, CLASSES), 'labelled');
  assert.equal(reviewState({ ...p, decision: AMBIGUOUS }, CLASSES), 'ambiguous');
  assert.equal(FILTERS.changed({ ...p, decision: 'female' }, CLASSES), true);
  assert.equal(FILTERS.changed({ ...p, decision: 'male' }, CLASSES), false);
  assert.equal(FILTERS.flagged({ ...p, issue: 'several_faces' }, CLASSES), true);
  assert.equal(FILTERS.ambiguous({ ...p, givenAmbiguous: true, given: null }, CLASSES), true);
  const counts = tally([p, { ...photo(1, 1, 0.1), decision: UNUSABLE }], CLASSES);
  assert.equal(counts.contradicted, 2, "decided or not");
  assert.equal(counts.unusable, 1);
  assert.equal(counts.unreviewed, 1);
});

test('decisionKeys: digits and unshared first letters for classes, a and x for the others', () => {
  const keys = decisionKeys(CLASSES);
  assert.equal(keys.get('1'), 'male');
  assert.equal(keys.get('2'), 'female');
  assert.equal(keys.get('m'), 'male');
  assert.equal(keys.get('f'), 'female');
  assert.equal(keys.get('a'), AMBIGUOUS);
  assert.equal(keys.get('x'), UNUSABLE);
  const shared = decisionKeys(['cat', 'cow', 'apple']);
  assert.equal(shared.has('c'), false, 'shared first letters get digits only');
  assert.equal(shared.get('a'), AMBIGUOUS, 'a command is never a class key');
});

test('the labels CSV holds decided and given labels, leaves out unusable, unreadable and unlabelled photos', () => {
  const photos = [
    { ...photo(0, 0, 0.9), path: 'Train/male/a, b.jpg', decision: 'female' },
    photo(1, 1, 0.9),
    { ...photo(2, 0, 0.1), decision: AMBIGUOUS },
    { ...photo(3, 0, 0.1), decision: UNUSABLE },
    { ...photo(4, 1, null), error: 'damaged', sha256: undefined },
    photo(5, null, 0.5),
  ];
  const { rows, left } = labelRows(photos, CLASSES);
  assert.deepEqual(rows.map((r) => [r.label, r.review]), [['female', 'changed'], ['female', 'given'], [AMBIGUOUS, 'ambiguous']]);
  assert.deepEqual(left, { unusable: 1, unreadable: 1, unlabelled: 1 });
  const csv = labelsCsv(photos, CLASSES);
  assert.equal(csv.split('\n')[0], 'path,label,sha256,review');
  assert.match(csv, /^"Train\/male\/a, b\.jpg",female,a+0,changed$/m);
});

test('the seed layout puts test photos in Eval, the rest in Train, ambiguous apart, and names never clash', () => {
  const photos = [
    { ...photo(0, 0, 0.1), path: 'x/a.jpg', split: 'test' },
    { ...photo(1, 0, 0.1), path: 'y/a.jpg', split: 'val' },
    { ...photo(2, 1, 0.9), path: 'z/a.jpg', split: 'train' },
    { ...photo(3, 1, 0.9), path: 'w/a.jpg', split: 'train' },
    { ...photo(4, 1, 0.9), path: 'v/b.jpg', decision: AMBIGUOUS },
  ];
  const plan = seedLayoutPlan(photos, CLASSES).map((p) => p.target);
  assert.deepEqual(plan, ['Eval/male/a.jpg', 'Train/male/a.jpg', 'Train/female/a.jpg',
    `Train/female/${'3'.padStart(64, 'a').slice(0, 8)}-a.jpg`, 'ambiguous/b.jpg']);
});

test('reviewedDecisions takes back what a person decided from the page\'s own CSV, nothing else', () => {
  const h = (c) => c.repeat(64);
  const text = [
    'path,label,sha256,review',
    `a.jpg,female,${h('a')},changed`,
    `b.jpg,male,${h('b')},given`,
    `c.jpg,ambiguous,${h('c')},ambiguous`,
    `d.jpg,cat,${h('d')},changed`,
    'e.jpg,male,not-a-hash,confirmed',
    `f.jpg,male,${h('f')},confirmed`,
  ].join('\n');
  assert.deepEqual([...reviewedDecisions(text, CLASSES)], [[h('a'), 'female'], [h('c'), AMBIGUOUS], [h('f'), 'male']]);
  assert.equal(reviewedDecisions('path,label\na.jpg,male\n', CLASSES).size, 0, 'another CSV holds no decisions');
  // What the page writes, read back.
  const photos = [{ ...photo(0, 0, 0.9), decision: 'female' }, photo(1, 1, 0.9)];
  assert.deepEqual([...reviewedDecisions(labelsCsv(photos, CLASSES), CLASSES)], [[photos[0].sha256, 'female']]);
});
