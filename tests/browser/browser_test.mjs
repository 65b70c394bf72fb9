#!/usr/bin/env node
// End-to-end test of the browser app (ctest label `browser`): builds the site
// with web/build.mjs, serves it with scripts/serve.mjs on 127.0.0.1, and
// drives Debian's Chromium (/usr/bin/chromium) with playwright-core from
// web/node_modules (no browser is ever downloaded).
//
//   node tests/browser/browser_test.mjs --facegender BIN --photos DIR --work DIR
//        [--model FILE] [--wasm-build DIR] [--cascades DIR] [--chromium FILE]
//
// FACEGENDER_TEST_MODEL overrides --model (default models/facegender.onnx).
// Checks, failing (never skipping) when something it needs is missing:
//  * the page loads under the server's Content-Security-Policy, with no
//    policy violation and no page error, and says which backend it uses;
//  * photos: #results lists one label per face, and the page's boxes and raw
//    probabilities equal `facegender classify --json` with the page's search
//    settings (probabilities within 1e-4); also through drop and paste;
//  * a picture without a face offers "Classify the whole image", which
//    equals `facegender classify --whole-image`;
//  * bad files (text named .jpg, 0 bytes, a truncated JPEG, a 150-megapixel
//    header) give a message and the page still classifies a photo after;
//  * an image over 4096 px is scaled down;
//  * webcam: denied -> a message; Chromium's fake camera playing a test photo
//    -> labels in #results and frames per second;
//  * WebGPU (Chromium's software adapter, SwiftShader): the page picks it and
//    its probabilities equal classify's too; the backend toggle switches the
//    same photo to WebAssembly with the same probabilities; so does
//    WebAssembly on two threads (?threads=2);
//  * the model inputs the WASM core made in the page are bit-identical to the
//    native core's (SHA-256 of each face's float32 tensor, classify
//    --input-hashes);
//  * every request the browser made went to the test server on 127.0.0.1;
//    no Content-Security-Policy violation, no page error.

import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { promisify } from 'node:util';

import { REPO, WEBGPU_FLAGS, loadChromiumApi, startServer, withChromium } from '../../scripts/lib/browser.mjs';
import { createChecks, openApp, parseTestArgs, requireFile } from './harness.mjs';

const TOLERANCE = 1e-4;
// The page's photo search (web/pipeline.js PHOTO_SEARCH) as classify options.
const CLASSIFY_SEARCH = ['--min-neighbors', '5', '--max-side', '640', '--pad', '0', '--scale-factor', '1.1'];
const FACE_PHOTOS = ['2008_001322.jpg', 'bald_guys.jpg'];
// The fake webcam plays this photo (even width and height, as the capture wants).
const WEBCAM_PHOTO = '2008_001009.jpg';
const WEBCAM_FLAGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];

const { log, check, die, finish } = createChecks('browser test');

function parseArgs(argv) {
  return parseTestArgs(argv, { extra: { '--facegender': 'facegender', '--photos': 'photos', '--work': 'work' },
    required: ['facegender', 'photos', 'work'] }, die);
}

function loadPlaywright() {
  return loadChromiumApi() ??
    die('playwright-core is not installed in web/node_modules: run scripts/setup.sh (or: cd web && npm ci)');
}

async function run(command, args) {
  try {
    return await promisify(execFile)(command, args, { maxBuffer: 64 << 20 });
  } catch (error) {
    die(`${command} ${args.join(' ')} failed: ${error.stderr || error.message}`);
  }
  return null;
}

// `facegender classify --json` on one photo: {faces: [{box, probabilities: []}]},
// probabilities in the model's class order.
async function classifyNative(options, photo, classNames, extra = []) {
  const { stdout } = await run(options.facegender,
    ['classify', '--json', '--input-hashes', '--model', options.model, '--cascades', options.cascades, ...extra, photo]);
  const result = JSON.parse(stdout.trim().split('\n')[0]);
  if (result.error) die(`classify ${photo}: ${result.error}`);
  return result.faces.map((face) => ({
    box: face.box,
    probabilities: classNames.map((name) => face.probabilities[name]),
    inputSha256: face.input_sha256,
  }));
}

// SHA-256 of each face's float32 model input in the page's last result, as
// `classify --input-hashes` computes it.
function pageInputHashes(page) {
  return page.evaluate(async () => {
    const { tensor, dims } = window.__facegender.lastInput;
    const plane = dims[2] * dims[3];
    const hashes = [];
    for (let i = 0; i < dims[0]; i += 1) {
      const digest = await crypto.subtle.digest('SHA-256', tensor.subarray(i * plane, (i + 1) * plane));
      hashes.push(Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join(''));
    }
    return hashes;
  });
}

function compareFaces(what, page, native) {
  const pageBoxes = page.boxes.map((b) => [b.x, b.y, b.width, b.height]);
  const nativeBoxes = native.map((f) => f.box);
  if (!check(JSON.stringify(pageBoxes) === JSON.stringify(nativeBoxes), `${what}: same ${native.length} boxes as classify`,
    `page ${JSON.stringify(pageBoxes)} vs classify ${JSON.stringify(nativeBoxes)}`)) return;
  let worst = 0;
  native.forEach((face, i) => face.probabilities.forEach((p, k) => {
    worst = Math.max(worst, Math.abs(p - page.probabilities[i][k]));
  }));
  check(worst <= TOLERANCE, `${what}: probabilities equal classify's (max diff ${worst.toExponential(2)})`);
}

// Waits until the page has classified one more photo than `before`, or shown one more message.
async function waitForOutcome(page, before) {
  await page.waitForFunction(
    ({ photos, messages }) => window.__facegender.photosClassified > photos || window.__facegender.messages.length > messages,
    before, { timeout: 30000 });
}

async function counters(page) {
  return page.evaluate(() => ({
    photos: window.__facegender.photosClassified,
    messages: window.__facegender.messages.length,
  }));
}

async function uploadPhoto(page, file) {
  const before = await counters(page);
  await page.setInputFiles('#file-input', file);
  await waitForOutcome(page, before);
  return page.evaluate(() => window.__facegender.last);
}

// Sends a file (bytes in base64) to the page as a drop or a paste event.
async function dropOrPaste(page, kind, name, type, base64) {
  const before = await counters(page);
  await page.evaluate(({ kind, name, type, base64 }) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type }));
    const event = kind === 'paste'
      ? new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true })
      : new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true });
    document.body.dispatchEvent(event);
  }, { kind, name, type, base64 });
  await waitForOutcome(page, before);
  return counters(page);
}

// A PNG drawn in the page: a smooth pattern without faces, width x height.
function pagePng(page, width, height) {
  return page.evaluate(async ({ width, height }) => {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    const gradient = ctx.createLinearGradient(0, 0, width, height);
    gradient.addColorStop(0, '#203040');
    gradient.addColorStop(1, '#d0c0a0');
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = '#806040';
    ctx.fillRect(width / 4, height / 3, width / 2, height / 5);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }, { width, height });
}

// The first bytes of a PNG that says it is width x height (no pixel data).
function pngHeader(width, height) {
  const header = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write('IHDR', 12, 'latin1');
  header.writeUInt32BE(width, 16);
  header.writeUInt32BE(height, 20);
  header.set([8, 6, 0, 0, 0], 24);
  return header;
}

// Launches Chromium with a fresh profile, opens the page and waits for it
// to load; runs `body(page)`, then checks requests, CSP and page errors.
// Launches Chromium with a fresh profile, opens the page and waits for it
// to load; runs `body(page)`, then checks requests, CSP and page errors.
async function withPage(options, origin, what, extraFlags, body, query = '') {
  await withChromium(options.chromiumApi, options.chromium, extraFlags, async (context) => {
    const requests = [];
    context.on('request', (request) => requests.push(request.url()));
    const { page, pageErrors } = await openApp(context, `${origin}/${query}`);
    const loaded = await page.evaluate(() => ({ ...window.__facegender }));
    if (check(loaded.state === 'ready', `${what}: the page loads its core and model`, await page.textContent('#message'))) {
      await body(page, loaded);
    }

    const offsite = requests.filter((url) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url));
    check(requests.length > 0 && offsite.length === 0,
      `${what}: all ${requests.length} requests went to ${origin}`, offsite.slice(0, 5).join(' '));
    const violations = await page.evaluate(() => window.__facegender.cspViolations);
    check(violations.length === 0, `${what}: no Content-Security-Policy violation`, violations.join('; '));
    check(pageErrors.length === 0, `${what}: no page errors`, pageErrors.slice(0, 5).join(' | '));
  });
}

async function classifyAgainstNative(options, page, classNames, name, prefix = '') {
  const photo = path.join(options.photos, name);
  const [last, native] = await Promise.all([uploadPhoto(page, photo),
    classifyNative(options, photo, classNames, CLASSIFY_SEARCH)]);
  if (!check(last?.source === 'photo' && last.name === name, `${prefix}${name}: classified`,
    await page.textContent('#message'))) return;
  const items = await page.$$eval('#results li .label', (els) => els.map((el) => el.textContent));
  const labelsOk = items.length === native.length && items.length > 0 &&
    items.every((text) => /^[\w-]+ \d{1,3}\.\d%$/.test(text)) && JSON.stringify(items) === JSON.stringify(last.labels);
  check(labelsOk, `${prefix}${name}: #results has one label per face (${items.length}: ${items.slice(0, 3).join(', ')}…)`,
    JSON.stringify(items));
  compareFaces(`${prefix}${name}`, last, native);
  const hashes = await pageInputHashes(page);
  check(hashes.length === native.length && hashes.every((h, i) => h === native[i].inputSha256),
    `${prefix}${name}: the WASM core's model inputs are bit-identical to the native core's (${hashes.length} faces, SHA-256)`,
    `page ${hashes.join(',')} vs classify ${native.map((f) => f.inputSha256).join(',')}`);
}

// Photos, bad files, drop, paste, whole image and the webcam, on WebAssembly.
async function mainSession(options, page, loaded) {
  const backend = (await page.textContent('#backend')).trim();
  check(/WebGPU|WebAssembly/.test(backend), `the page says which backend it uses (${backend})`);
  const { classNames } = loaded;

  for (const name of FACE_PHOTOS) await classifyAgainstNative(options, page, classNames, name);

  // Bad files, then a good photo still works.
  const photoBytes = await readFile(path.join(options.photos, FACE_PHOTOS[0]));
  const badFiles = [
    { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('This is text, not a photo.\n'), expect: /not an image/ },
    { name: 'empty.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(0), expect: /empty/ },
    { name: 'cut.jpg', mimeType: 'image/jpeg', buffer: photoBytes.subarray(0, Math.floor(photoBytes.length * 0.6)),
      expect: /could not be decoded|damaged/ },
    { name: 'huge.png', mimeType: 'image/png', buffer: pngHeader(15000, 10000), expect: /megapixels/ },
  ];
  for (const bad of badFiles) {
    const before = await counters(page);
    await page.setInputFiles('#file-input', { name: bad.name, mimeType: bad.mimeType, buffer: bad.buffer });
    await waitForOutcome(page, before);
    const message = await page.textContent('#message');
    const visible = await page.isVisible('#message');
    check(visible && bad.expect.test(message), `${bad.name}: a message for the user ("${message}")`);
  }
  const again = await uploadPhoto(page, path.join(options.photos, FACE_PHOTOS[0]));
  check(again?.source === 'photo' && again.labels.length > 0 && !(await page.isVisible('#message')),
    'after the bad files a photo is classified again');

  // Paste and drop: the same photo gives the same result; a huge image is scaled down.
  await dropOrPaste(page, 'paste', 'pasted.jpg', 'image/jpeg', photoBytes.toString('base64'));
  const pasted = await page.evaluate(() => window.__facegender.last);
  check(pasted.name === 'pasted.jpg' && JSON.stringify(pasted.probabilities) === JSON.stringify(again.probabilities),
    'a pasted photo gives the same result');
  await dropOrPaste(page, 'drop', 'big.png', 'image/png', await pagePng(page, 6000, 3000));
  const status = await page.textContent('#status');
  check(/6000×3000, scaled to 4096×2048/.test(status), `a dropped 6000×3000 image is scaled down ("${status}")`);

  // No face: classify the whole image, against classify --whole-image.
  const plainPath = path.join(options.work, 'no-face.png');
  await writeFile(plainPath, Buffer.from(await pagePng(page, 320, 240), 'base64'));
  const noFace = await uploadPhoto(page, plainPath);
  const offered = await page.isVisible('#whole-image');
  check(noFace?.boxes.length === 0 && offered, 'no face: the page says so and offers the whole image',
    await page.textContent('#status'));
  if (offered) {
    await page.click('#whole-image');
    await page.waitForFunction(() => window.__facegender.last?.source === 'whole-image', null, { timeout: 30000 });
    const whole = await page.evaluate(() => window.__facegender.last);
    const items = await page.$$eval('#results li .label', (els) => els.map((el) => el.textContent));
    check(items.length === 1, `whole image: one result (${items[0]})`);
    compareFaces('whole image', whole, await classifyNative(options, plainPath, classNames, ['--whole-image']));
  }

  // Webcam: denied, then Chromium's fake camera playing a face photo.
  await page.evaluate(() => {
    window.__realGetUserMedia = navigator.mediaDevices.getUserMedia;
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
  });
  await page.click('#camera-start');
  await page.waitForFunction(() => /denied/.test(document.getElementById('message').textContent), null,
    { timeout: 10000 }).catch(() => {});
  check(/denied/.test(await page.textContent('#message')) && !(await page.isDisabled('#camera-start')),
    `webcam denied: a message ("${await page.textContent('#message')}")`);
  await page.evaluate(() => {
    navigator.mediaDevices.getUserMedia = window.__realGetUserMedia;
  });
  await page.click('#camera-start');
  const live = await page.waitForFunction(
    () => Number(document.getElementById('fps').textContent) > 0 && document.querySelectorAll('#results li').length > 0,
    null, { timeout: 30000 }).then(() => true, () => false);
  const fps = await page.textContent('#fps');
  const frames = await page.evaluate(() => window.__facegender.framesClassified);
  const items = await page.$$eval('#results li .label', (els) => els.map((el) => el.textContent));
  check(live, `webcam (fake device): ${frames} frames, ${fps} fps shown, faces: ${items.join(', ')}`,
    `${await page.textContent('#message')} ${await page.textContent('#status')}`);
  await page.click('#live-stop');
  check(await page.isEnabled('#camera-start') && (await page.textContent('#fps')).trim() === '–', 'webcam stops');
}

// WebGPU: the page picks it when there is an adapter; same probabilities.
async function webgpuSession(options, page, loaded) {
  check(loaded.backend === 'webgpu' && /WebGPU/.test(await page.textContent('#backend')),
    `WebGPU: the page uses it when there is an adapter (backend ${loaded.backend})`);
  await classifyAgainstNative(options, page, loaded.classNames, FACE_PHOTOS[0], 'webgpu: ');

  // The toggle: WebAssembly on the same photo gives the same probabilities.
  const onGpu = await page.evaluate(() => window.__facegender.last);
  const before = await counters(page);
  await page.selectOption('#backend-choice', 'wasm');
  await waitForOutcome(page, before);
  const onCpu = await page.evaluate(() => window.__facegender.last);
  const backend = await page.textContent('#backend');
  let worst = Infinity;
  if (onCpu.probabilities.length === onGpu.probabilities.length) {
    worst = Math.max(0, ...onGpu.probabilities.flatMap((row, i) => row.map((p, k) => Math.abs(p - onCpu.probabilities[i][k]))));
  }
  check(/WebAssembly/.test(backend) && worst <= TOLERANCE,
    `backend toggle: WebGPU -> ${backend}, same photo, probabilities within ${TOLERANCE} (max diff ${worst.toExponential(2)})`);
}

// ONNX Runtime's thread pool (the page is cross-origin isolated): same results.
async function threadsSession(options, page, loaded) {
  const backend = await page.textContent('#backend');
  check(loaded.threads === 2 && /2 threads/.test(backend), `?threads=2: the page says so (${backend})`);
  await classifyAgainstNative(options, page, loaded.classNames, FACE_PHOTOS[1], 'wasm, 2 threads: ');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  await requireFile(options.model,
    'no model: train one (scripts/train-default-model.sh) or set FACEGENDER_TEST_MODEL=FILE', die);
  await requireFile(options.facegender, 'build the native preset: cmake --build --preset native', die);
  await requireFile(options.chromium, 'install Debian\'s chromium (scripts/setup.sh does)', die);
  for (const name of [...FACE_PHOTOS, WEBCAM_PHOTO]) {
    await requireFile(path.join(options.photos, name), 'fetch the test photos: scripts/fetch-test-photos.sh', die);
  }
  options.chromiumApi = loadPlaywright();

  const site = path.join(options.work, 'site');
  log(`building the site into ${site} (model ${options.model})`);
  await run(process.execPath, [path.join(REPO, 'web/build.mjs'), '--out', site, '--model', options.model,
    '--wasm-build', options.wasmBuild, '--cascades', options.cascades]);
  // Chromium's fake camera plays an MJPEG file: JPEG frames one after another.
  const webcamFile = path.join(options.work, 'webcam.mjpeg');
  const webcamFrame = await readFile(path.join(options.photos, WEBCAM_PHOTO));
  await writeFile(webcamFile, Buffer.concat([webcamFrame, webcamFrame]));

  const server = await startServer(site);
  try {
    await withPage(options, server.origin, 'wasm', [...WEBCAM_FLAGS, `--use-file-for-fake-video-capture=${webcamFile}`],
      (page, loaded) => mainSession(options, page, loaded));
    await withPage(options, server.origin, 'webgpu', WEBGPU_FLAGS, (page, loaded) => webgpuSession(options, page, loaded));
    await withPage(options, server.origin, 'wasm, 2 threads', [], (page, loaded) => threadsSession(options, page, loaded),
      '?backend=wasm&threads=2');
  } finally {
    server.child.kill('SIGTERM');
  }
  finish();
}

main().catch((error) => {
  console.error(`browser test: error: ${error.stack || error}`);
  process.exit(1);
});
