#!/usr/bin/env node
// The review page (ctest browser.review): builds the site, serves it and
// drives Debian's Chromium (playwright-core) through a labelling session on
// a folder of generated fixtures, then runs `facegender prepare` on what the
// page exported.
//
//   node tests/browser/review_test.mjs --photos DIR --work DIR --facegender FILE
//        [--model FILE] [--wasm-build DIR] [--cascades DIR] [--chromium FILE]
//
// The fixtures (WORK/fixtures/photos/) are made in the browser with the
// library: one JPEG per face of three dlib example photos (a square around
// the face), labelled with the model's own answer, except some of its
// confident ones, which get the other label (the wrong labels a review
// should find first); a photo with no face (dogs.jpg), a group photo, a
// file that is not an image, and a byte-identical copy of a face, with a
// labels.csv. Checks:
//  * every photo is read: the unreadable one counted, each one's split is
//    the project's rule on its SHA-256, its faces and probabilities are the
//    library's, its flag says why it is not a clean example;
//  * the photos whose given label the model contradicts come first;
//  * one key per decision (a class, ambiguous, not usable), undo, and the
//    copy sharing its twin's decision;
//  * after a reload and opening the folder again the decisions are back,
//    and undo takes back a decision made before the reload;
//  * the CSV it saves is read by `facegender prepare`, which keeps the
//    labels the page gave;
//  * with a folder the page may write to (the origin-private file system
//    standing in for a picked folder), each decision lands in
//    labels.reviewed.csv there, which brings the decisions back when the
//    browser's storage is cleared, and the seed-layout export writes
//    Train/Eval/ambiguous by the split rule;
//  * axe-core finds no serious or critical violation, light and dark;
//  * a phone-sized window does not scroll sideways.
// Screenshots go to WORK/screenshots/.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { promisify } from 'node:util';

import { REPO, loadChromiumApi, startServer, withChromium } from '../../scripts/lib/browser.mjs';
import { auditAccessibility, createChecks, parseTestArgs, requireFile } from './harness.mjs';

const AXE = path.join(REPO, 'web/node_modules/axe-core/axe.min.js');
const SOURCES = ['2008_001322.jpg', '2009_004587.jpg', '2007_007763.jpg'];
const NO_FACE = 'dogs.jpg';
const GROUP = '2008_001322.jpg';
/** A fixture's label is flipped when the model is at least this sure of the other one. */
const FLIP_AT = 0.9;

const { log, check, die, finish } = createChecks('review test');
const run = promisify(execFile);

/** The project's split rule, computed here independently of the core. */
function splitOf(bytes) {
  const n = parseInt(createHash('sha256').update(bytes).digest('hex').slice(0, 8), 16);
  return n % 10 === 0 ? 'test' : n % 10 === 1 ? 'val' : 'train';
}

/**
 * One JPEG per face of each source photo, cut in the browser, and the
 * library's result on each cut: [{name, bytes, faces, probabilities}].
 */
async function cutFaces(page, photosDir) {
  const sources = [];
  for (const name of SOURCES) sources.push({ name, b64: (await readFile(path.join(photosDir, name))).toString('base64') });
  const result = await page.evaluate(async (list) => {
    const { FaceGender } = await import('/facegender/facegender.js');
    const fg = await FaceGender.load({ backend: 'wasm' });
    const blobOf = (b64) => new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]);
    const base64 = async (blob) => {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let text = '';
      for (const b of bytes) text += String.fromCharCode(b);
      return btoa(text);
    };
    const crops = [];
    for (const source of list) {
      const blob = blobOf(source.b64);
      const { faces } = await fg.classify(blob);
      const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none' });
      for (const face of faces) {
        const side = Math.round(Math.max(face.box.width, face.box.height) * 2.2);
        const canvas = new OffscreenCanvas(side, side);
        const context = canvas.getContext('2d');
        context.fillStyle = '#777';
        context.fillRect(0, 0, side, side);
        const x = face.box.x + face.box.width / 2 - side / 2;
        const y = face.box.y + face.box.height / 2 - side / 2;
        context.drawImage(bitmap, -x, -y);
        crops.push({ from: source.name, b64: await base64(await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 })) });
      }
    }
    for (const crop of crops) {
      const { faces } = await fg.classify(blobOf(crop.b64));
      crop.faces = faces.length;
      crop.probabilities = faces[0] ? fg.classNames.map((name) => faces[0].probabilities[name]) : null;
    }
    const classNames = fg.classNames;
    fg.close();
    return { classNames, crops };
  }, sources);
  return {
    classNames: result.classNames,
    crops: result.crops.map((crop, i) => ({ ...crop, name: `face-${String(i).padStart(2, '0')}.jpg`,
      bytes: Buffer.from(crop.b64, 'base64') })),
  };
}

/**
 * Writes the fixture folder; returns what each photo is expected to be:
 * Map name -> {bytes, given, flipped, faces, probabilities}.
 */
async function writeFixtures(dir, photosDir, { classNames, crops }) {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const expected = new Map();
  let confident = 0;
  for (const crop of crops) {
    let given = null;
    let flipped = false;
    if (crop.probabilities) {
      const top = crop.probabilities.indexOf(Math.max(...crop.probabilities));
      flipped = crop.faces === 1 && crop.probabilities[top] >= FLIP_AT && confident++ % 2 === 0;
      given = flipped ? 1 - top : top;
    }
    expected.set(crop.name, { ...crop, given, flipped });
  }
  const dogs = await readFile(path.join(photosDir, NO_FACE));
  const group = await readFile(path.join(photosDir, GROUP));
  const first = crops[0];
  expected.set(NO_FACE, { bytes: dogs, given: 0, flipped: false, faces: 0, probabilities: null });
  // Marked ambiguous in the CSV: its best face is not what the label is about.
  expected.set('group.jpg', { bytes: group, given: null, givenAmbiguous: true, flipped: false, faces: 3, probabilities: null });
  expected.set('broken.jpg', { bytes: Buffer.from('this is not a JPEG, whatever its name says\n'), given: 0, flipped: false });
  expected.set('twin.jpg', { ...expected.get(first.name), name: 'twin.jpg' });
  const rows = ['path,label'];
  for (const [name, e] of expected) {
    await writeFile(path.join(dir, name), e.bytes);
    if (e.given !== null || e.givenAmbiguous) rows.push(`${name},${e.givenAmbiguous ? 'ambiguous' : classNames[e.given]}`);
  }
  await writeFile(path.join(dir, 'labels.csv'), `${rows.join('\n')}\n`);
  return expected;
}

async function openReview(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60000 });
  return page.evaluate(() => document.body.dataset.state);
}

/** Opens the fixture folder with the folder input and waits until every photo is read. */
async function openFolder(page, dir, count) {
  await page.setInputFiles('#folder-input', dir);
  await page.waitForFunction((n) => window.__review.counts().scored === n && !window.__review.scoring(), count,
    { timeout: 60000 });
}

async function checkReading(page, expected, classNames) {
  const counts = await page.evaluate(() => window.__review.counts());
  check(counts.photos === expected.size && counts.unreadable === 1,
    `${expected.size} photos read, the file that is not an image counted as unreadable (${counts.unreadable})`);
  const broken = await page.evaluate(() => window.__review.photo('broken.jpg'));
  check(/broken\.jpg/.test(broken.error ?? '') && broken.decision === null,
    `the unreadable photo says why, naming it ("${broken.error}")`);
  let splits = 0;
  let agree = 0;
  let maxDiff = 0;
  let flags = 0;
  for (const [name, e] of expected) {
    if (name === 'broken.jpg') continue;
    const p = await page.evaluate((n) => window.__review.photo(n), name);
    if (p.split === splitOf(e.bytes)) splits += 1;
    const issueFits = e.faces === 0 ? p.issue === 'no_face' : e.faces > 1 ? p.issue === 'several_faces'
      : ['none', 'too_small', 'too_turned'].includes(p.issue);
    if (issueFits) flags += 1;
    else log(`  ${name}: ${e.faces} faces for the library, issue ${p.issue} (${p.detail})`);
    if (e.probabilities) {
      const diff = Math.max(...e.probabilities.map((v, k) => Math.abs(v - (p.probabilities?.[k] ?? Infinity))));
      maxDiff = Math.max(maxDiff, diff);
      if (diff < 1e-6) agree += 1;
    }
  }
  const scored = [...expected.values()].filter((e) => e.probabilities).length;
  check(splits === expected.size - 1, `every photo's split is the project's rule on its SHA-256 (${splits}/${expected.size - 1})`);
  check(flags === expected.size - 1, `each photo is flagged as its faces say: none, too small or turned for one face, ` +
    `several faces, no face (${flags}/${expected.size - 1})`);
  check(agree === scored, `the model's probabilities are the library's on the same photo (${agree}/${scored}, max diff ${maxDiff.toExponential(1)})`);
  const group = await page.evaluate(() => window.__review.photo('group.jpg'));
  check(group.issue === 'several_faces' && /3 faces/.test(group.detail), `the group photo is flagged: "${group.detail}"`);
  log(`  classes ${classNames.join(', ')}; counts ${JSON.stringify(counts)}`);
}

async function checkOrder(page, expected) {
  const flipped = [...expected].filter(([, e]) => e.flipped).map(([name]) => name);
  const order = await page.evaluate(() => window.__review.order());
  const firstOnes = order.slice(0, flipped.length).sort();
  check(flipped.length >= 2 && JSON.stringify(firstOnes) === JSON.stringify([...flipped].sort()),
    `the ${flipped.length} photos whose label the model contradicts come first (${order.slice(0, flipped.length).join(', ')})`);
  const tile = await page.getAttribute('#grid li.current', 'class');
  check(/contradicted/.test(tile ?? ''), `the first tile is selected and marked as contradicted ("${tile}")`);
  return order;
}

const decisionOf = (page, name) => page.evaluate((n) => window.__review.photo(n).decision, name);

/** The names of the photos with the same bytes as `name` (itself included). */
function sameBytes(expected, name) {
  return [...expected].filter(([, e]) => e.bytes.equals(expected.get(name).bytes)).map(([n]) => n);
}

/** Sets what `name` and its byte-identical copies should now be decided as. */
function expect(want, expected, name, decision) {
  for (const n of sameBytes(expected, name)) want.set(n, decision);
}

async function label(page, order, classNames, expected) {
  const want = new Map(order.map((name) => [name, null]));
  await page.focus('#grid');
  const first = expected.get(order[0]);
  const modelClass = classNames[1 - first.given];
  await page.keyboard.press(String(2 - first.given));  // the digit of the model's class: "1" is class 0
  expect(want, expected, order[0], modelClass);
  check(await decisionOf(page, order[0]) === modelClass && await page.evaluate(() => window.__review.cursor()) === 1,
    `one key decides the first photo (${order[0]} → ${modelClass}) and moves on`);
  check(await page.getAttribute('#tile-0', 'data-state') === 'changed', 'its tile shows it as changed');
  // Two photos after the first that are not byte-identical copies of each
  // other or of twin.jpg (a copy shares its decision): where they fall
  // depends on what the model says.
  const twins = sameBytes(expected, 'twin.jpg');
  const ambiguousAt = order.findIndex((n, i) => i > 0 && !twins.includes(n));
  const unusableAt = order.findIndex((n, i) => i > ambiguousAt && !twins.includes(n) &&
    !sameBytes(expected, order[ambiguousAt]).includes(n));
  await goTo(page, ambiguousAt);
  await page.keyboard.press('a');
  await goTo(page, unusableAt);
  await page.keyboard.press('x');
  expect(want, expected, order[ambiguousAt], 'ambiguous');
  check(await decisionOf(page, order[ambiguousAt]) === 'ambiguous' &&
    await decisionOf(page, order[unusableAt]) === 'unusable',
    `"a" marks ${order[ambiguousAt]} ambiguous, "x" marks ${order[unusableAt]} not usable`);
  await page.keyboard.press('u');
  await page.waitForFunction((n) => window.__review.photo(n).decision === null, order[unusableAt], { timeout: 5000 })
    .catch(() => {});
  check(await decisionOf(page, order[unusableAt]) === null &&
    await page.evaluate(() => window.__review.cursor()) === unusableAt,
    'u undoes the last decision and goes back to its photo');
  await goTo(page, order.indexOf('twin.jpg'));
  await page.keyboard.press('f');
  expect(want, expected, 'twin.jpg', 'female');
  const shared = await Promise.all(twins.map((n) => decisionOf(page, n)));
  check(twins.length === 2 && shared.every((d) => d === 'female'),
    `a letter key decides too, and ${twins.join(' and ')}, with the same bytes, share the decision`);
  // The large view on a photo with no decision yet, so that undoing its
  // decision later leaves it with none.
  const at = order.findIndex((n) => want.get(n) === null);
  await goTo(page, at);
  const largeTitle = () => page.evaluate(() => document.getElementById('large').open &&
    document.getElementById('large-title').textContent);
  await page.keyboard.press('Enter');
  const opened = await largeTitle();
  await page.keyboard.press('x');
  expect(want, expected, order[at], 'unusable');
  const next = await largeTitle();
  await page.keyboard.press('Escape');
  const closed = await largeTitle();
  check(opened === order[at] && await decisionOf(page, order[at]) === 'unusable' &&
    next === order[Math.min(at + 1, order.length - 1)] && closed === false,
    `Enter shows the selected photo large ("${opened}"), a key decides it there and shows the next ("${next}"), Escape closes`);
  return { want, changed: order[0], modelClass, ambiguous: order[ambiguousAt], last: order[at] };
}

/** Moves the grid's cursor to tile `index` with the keyboard. */
async function goTo(page, index) {
  await page.keyboard.press('Home');
  for (let k = 0; k < index; k += 1) await page.keyboard.press('ArrowRight');
}

async function currentDecisions(page, names) {
  return new Map(await Promise.all(names.map(async (n) => [n, await decisionOf(page, n)])));
}

async function checkRestored(page, dir, count, decided, expected) {
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60000 });
  await openFolder(page, dir, count);
  const names = [...decided.want.keys()];
  const got = await currentDecisions(page, names);
  const differing = names.filter((n) => got.get(n) !== decided.want.get(n));
  check(differing.length === 0, `after a reload and reopening the folder, every decision is back ` +
    `(${[...decided.want].filter(([, d]) => d).length} decided${differing.length ? `; differing: ${differing.join(', ')}` : ''})`);
  await page.focus('#grid');
  await page.keyboard.press('u');
  expect(decided.want, expected, decided.last, null);
  await page.waitForFunction((n) => window.__review.photo(n).decision === null, decided.last, { timeout: 5000 }).catch(() => {});
  const after = await currentDecisions(page, names);
  check(names.every((n) => after.get(n) === decided.want.get(n)),
    `undo after the reload takes back the last decision made before it (${decided.last} not usable)`);
}

async function checkExport(page, dir, work, options, classNames, expected, decided) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-csv')]);
  const csvPath = path.join(dir, download.suggestedFilename());
  await download.saveAs(csvPath);
  const lines = (await readFile(csvPath, 'utf8')).trim().split('\n');
  const byPath = new Map(lines.slice(1).map((line) => [line.split(',')[0], line.split(',')]));
  check(lines[0] === 'path,label,sha256,review' && byPath.get(decided.changed)?.[1] === decided.modelClass &&
    byPath.get(decided.changed)?.[3] === 'changed' && byPath.get(decided.ambiguous)?.[1] === 'ambiguous' &&
    !byPath.has('broken.jpg'),
    `the saved ${download.suggestedFilename()} has the decisions (${lines.length - 1} rows, the unreadable photo left out)`);
  const out = path.join(work, 'reviewed.fgds');
  const { stdout } = await run(options.facegender, ['prepare', '--labels', csvPath, '--classes', classNames.join(','),
    '--label-column', 'label', '--ambiguous-label', 'ambiguous', '--out', out, '--json'], { maxBuffer: 16 << 20 })
    .catch((error) => die(`facegender prepare on the export failed: ${error.stderr || error.message}`));
  const report = JSON.parse(stdout.trim().split('\n').pop());
  // What prepare must drop of the rows: no face or a face under its minimum
  // (the page's flags, from the same rules), and all but one of each set of
  // byte-identical copies.
  const issues = await page.evaluate((names) => names.map((n) => window.__review.photo(n).issue), [...byPath.keys()]);
  const unfit = issues.filter((issue) => issue === 'no_face' || issue === 'too_small').length;
  const hashes = [...byPath.values()].map((row) => row[2]);
  const copies = hashes.length - new Set(hashes).size;
  const kept = report.kept ?? report.counts?.kept;
  log(`  prepare report: ${JSON.stringify({ inputs: report.inputs, kept: report.kept, dropped: report.dropped })}`);
  check(kept === byPath.size - unfit - copies, `facegender prepare reads the export: ${kept} of ${byPath.size} rows kept ` +
    `(${unfit} with no face or one too small, ${copies} byte-identical copy dropped)`);
  return report;
}

/** The folder write-back and the seed-layout export, through the origin-private file system. */
async function checkFolderWriting(page, expected, dir) {
  const files = [...expected].map(([name, e]) => ({ name, b64: e.bytes.toString('base64') }));
  files.push({ name: 'labels.csv', b64: (await readFile(path.join(dir, 'labels.csv'))).toString('base64') });
  const result = await page.evaluate(async (list) => {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry('review', { recursive: true }).catch(() => {});
    await root.removeEntry('export', { recursive: true }).catch(() => {});
    const dir = await root.getDirectoryHandle('review', { create: true });
    for (const { name, b64 } of list) {
      const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await writable.write(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
      await writable.close();
    }
    await window.__review.openHandle(dir);
    document.getElementById('grid').focus();
    const first = window.__review.order()[0];
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'x', bubbles: true }));
    const read = async () => (await (await dir.getFileHandle('labels.reviewed.csv')).getFile()).text();
    let text = '';
    for (let i = 0; i < 50 && !text; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await read().catch(() => '');
    }
    // This browser's storage cleared: the decisions come back from the file.
    const decidedRow = text.trim().split('\n').slice(1).map((line) => line.split(','))
      .find((cells) => ['changed', 'ambiguous', 'confirmed', 'labelled'].includes(cells[3]));
    await window.__review.forget();
    await window.__review.openHandle(dir);
    const restored = decidedRow ? { path: decidedRow[0], label: decidedRow[1],
      decision: window.__review.photo(decidedRow[0]).decision } : null;
    const target = await root.getDirectoryHandle('export', { create: true });
    await window.__review.exportInto(target);
    const listing = [];
    const walk = async (handle, prefix) => {
      for await (const [name, entry] of handle.entries()) {
        if (entry.kind === 'directory') await walk(entry, `${prefix}${name}/`);
        else listing.push(`${prefix}${name}`);
      }
    };
    await walk(target, '');
    return { first, text, restored, listing: listing.sort() };
  }, files);
  check(result.text.startsWith('path,label,sha256,review') && !result.text.includes(`${result.first},`),
    `a decision is written to labels.reviewed.csv in a folder the page may write to (${result.first} marked not usable is left out)`);
  check(result.restored && result.restored.decision === result.restored.label,
    `with this browser's storage cleared, reopening the folder takes the decisions from its labels.reviewed.csv ` +
    `(${result.restored?.path}: ${result.restored?.decision})`);
  const wrong = result.listing.filter((file) => {
    const name = file.split('/').pop();
    const e = expected.get(name);
    if (!e || !/^(Train|Eval)\/[^/]+\/|^ambiguous\//.test(file)) return true;
    return file.startsWith('Eval/') !== (splitOf(e.bytes) === 'test') && !file.startsWith('ambiguous/');
  });
  check(result.listing.length > 0 && wrong.length === 0,
    `the seed-layout export puts each photo in Train/ or Eval/ by its split (${result.listing.length} files${wrong.length ? `; misplaced: ${wrong.join(', ')}` : ''})`);
}

async function main() {
  const options = parseTestArgs(process.argv.slice(2), {
    extra: { '--photos': 'photos', '--work': 'work', '--facegender': 'facegender' },
    required: ['photos', 'work', 'facegender'],
  }, die);
  await requireFile(options.model, 'no model: train one (scripts/train-default-model.sh)', die);
  await requireFile(options.chromium, 'install Debian\'s chromium (scripts/setup.sh does)', die);
  await requireFile(options.facegender, 'build the native preset: cmake --build --preset native', die);
  await requireFile(AXE, 'install the page\'s npm packages: scripts/setup.sh (or: cd web && npm ci)', die);
  for (const name of [...SOURCES, NO_FACE]) {
    await requireFile(path.join(options.photos, name), 'fetch the test photos: scripts/fetch-test-photos.sh', die);
  }
  const chromiumApi = loadChromiumApi() ?? die('playwright-core is missing in web/node_modules: run scripts/setup.sh');
  const site = path.join(options.work, 'site');
  const shots = path.join(options.work, 'screenshots');
  const fixtures = path.join(options.work, 'fixtures', 'photos');
  await mkdir(shots, { recursive: true });
  await run(process.execPath, [path.join(REPO, 'web/build.mjs'), '--out', site, '--model', options.model,
    '--wasm-build', options.wasmBuild, '--cascades', options.cascades])
    .catch((error) => die(`web/build.mjs: ${error.stderr || error.message}`));

  const server = await startServer(site);
  try {
    await withChromium(chromiumApi, options.chromium, [], async (context) => {
      const page = context.pages()[0] ?? await context.newPage();
      const pageErrors = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
      const loaded = await openReview(page, `${server.origin}/review.html`);
      check(loaded === 'ready', `the review page loads its model (${await page.textContent('#status')})`);
      const cut = await cutFaces(page, options.photos);
      const expected = await writeFixtures(fixtures, options.photos, cut);
      log(`fixtures: ${expected.size} files in ${fixtures}`);
      await openFolder(page, fixtures, expected.size);
      await checkReading(page, expected, cut.classNames);
      const order = await checkOrder(page, expected);
      await page.screenshot({ path: path.join(shots, 'review-desktop.png'), fullPage: true });
      const axeSource = await readFile(AXE, 'utf8');
      await auditAccessibility(page, axeSource, 'light, the folder read', check);
      await page.emulateMedia({ colorScheme: 'dark' });
      await auditAccessibility(page, axeSource, 'dark', check);
      await page.screenshot({ path: path.join(shots, 'review-dark.png') });
      await page.emulateMedia({ colorScheme: 'light' });
      const decided = await label(page, order, cut.classNames, expected);
      await checkRestored(page, fixtures, expected.size, decided, expected);
      await checkExport(page, fixtures, options.work, options, cut.classNames, expected, decided);
      await checkFolderWriting(page, expected, fixtures);
      await page.setViewportSize({ width: 390, height: 844 });
      check(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
        'phone: no sideways scrolling');
      await page.screenshot({ path: path.join(shots, 'review-phone.png') });
      check(pageErrors.length === 0, 'no page errors', pageErrors.join(' | '));
    });
  } finally {
    server.child.kill();
  }
  finish();
}

main().catch((error) => die(error.stack || String(error)));
