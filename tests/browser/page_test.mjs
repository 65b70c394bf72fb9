#!/usr/bin/env node
// The page as visitors and builders meet it (ctest browser.page): builds the
// site, serves it and drives Debian's Chromium (playwright-core).
//
//   node tests/browser/page_test.mjs --photos DIR --work DIR [--model FILE]
//        [--wasm-build DIR] [--cascades DIR] [--chromium FILE]
//
// Checks:
//  * a phone (390 x 844): no sideways scrolling, also with the inspector
//    open; the picture is in view after a photo;
//  * axe-core finds no serious or critical violation, light and dark, with
//    a photo's results shown;
//  * the keyboard: the arrow keys on the picture pick another face, marked
//    in the list;
//  * downloads: the results JSON (one entry per face, numbered) and the
//    annotated PNG (the picture's own size);
//  * a video file (recorded in the page with MediaRecorder) plays as a
//    source: faces with track ids, and Pause freezes it;
//  * ?backend=webgpu without an adapter says why WebGPU is not used and the
//    menu shows WebAssembly;
//  * the minimal example (web/examples/minimal/) classifies a photo;
//  * the model card the page links to is an HTML page (made from the Markdown);
//  * offline: after one visit a second downloads nothing (every response
//    from the service worker), and with the server stopped the page loads
//    and classifies a photo.
// Screenshots (phone and desktop, light and dark) go to WORK/screenshots/.

import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { promisify } from 'node:util';

import { REPO, loadChromiumApi, startServer, withChromium } from '../../scripts/lib/browser.mjs';
import { auditAccessibility, createChecks, openApp, parseTestArgs, requireFile } from './harness.mjs';

const PORTRAIT = '2009_004587.jpg';  // 400 x 500, two faces
const GROUP = '2008_001322.jpg';     // three faces
const AXE = path.join(REPO, 'web/node_modules/axe-core/axe.min.js');

const { log, check, die, finish } = createChecks('page test');

async function uploadPhoto(page, file) {
  const before = await page.evaluate(() => [window.__facegender.photosClassified, window.__facegender.messages.length]);
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction(([photos, messages]) => window.__facegender.photosClassified > photos ||
    window.__facegender.messages.length > messages, before, { timeout: 30000 });
  return page.evaluate(() => window.__facegender.last);
}

const noSidewaysScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

async function phone(page, options, shots) {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'light' });
  check(await noSidewaysScroll(page), 'phone: no sideways scrolling when loaded');
  await uploadPhoto(page, path.join(options.photos, PORTRAIT));
  const view = await page.evaluate(() => {
    const r = document.getElementById('view').getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, width: r.width, inner: window.innerHeight };
  });
  check(view.top >= 0 && view.top < view.inner && view.width > 300,
    `phone: the picture is in view after a photo (top ${view.top.toFixed(0)} px, ${view.width.toFixed(0)} px wide)`);
  check(await noSidewaysScroll(page), 'phone: no sideways scrolling with a photo');
  await page.screenshot({ path: path.join(shots, 'phone-light.png') });
  await page.check('#inspector-toggle');
  await page.waitForFunction(() => window.__facegender.inspector?.ready, null, { timeout: 30000 }).catch(() => {});
  check(await noSidewaysScroll(page), 'phone: no sideways scrolling with the inspector open');
  await page.uncheck('#inspector-toggle');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, 'phone-dark.png') });
  await page.setViewportSize({ width: 1100, height: 900 });
}

const audit = (page, axeSource, what) => auditAccessibility(page, axeSource, what, check);

async function keyboardAndDownloads(page, options, shots) {
  await uploadPhoto(page, path.join(options.photos, GROUP));
  await page.focus('#view');
  await page.keyboard.press('ArrowRight');
  const pressed = await page.$$eval('#results button.face', (bs) => bs.map((b) => b.getAttribute('aria-pressed')));
  check(pressed[1] === 'true' && pressed[0] === 'false', `keyboard: the right arrow on the picture picks face 2 (${pressed.join(',')})`);

  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
  const record = JSON.parse(await readFile(await json.path(), 'utf8'));
  const last = await page.evaluate(() => window.__facegender.last);
  check(record.faces.length === last.labels.length && record.faces.every((f, i) => f.number === i + 1 && f.text === last.labels[i]),
    `download: results JSON with ${record.faces.length} numbered faces (${json.suggestedFilename()})`);
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#download-png')]);
  const bytes = await readFile(await png.path());
  const size = bytes.length > 24 ? [bytes.readUInt32BE(16), bytes.readUInt32BE(20)] : [];
  check(bytes.subarray(1, 4).toString() === 'PNG' && size[0] === record.picture.width && size[1] === record.picture.height,
    `download: annotated PNG at the picture's size (${size.join('×')})`);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: path.join(shots, `desktop-${scheme}.png`) });
  }
}

// A 2 s WebM of a face photo, recorded in the page, played back as a video file.
async function videoFile(page, options) {
  const photo = (await readFile(path.join(options.photos, PORTRAIT))).toString('base64');
  const webm = await page.evaluate(async (base64) => {
    const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))]));
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d');
    const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: 'video/webm' });
    const chunks = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const done = new Promise((resolve) => { recorder.onstop = resolve; });
    recorder.start();
    const end = performance.now() + 2000;
    while (performance.now() < end) {
      ctx.drawImage(bitmap, 0, 0);
      await new Promise((r) => setTimeout(r, 60));
    }
    recorder.stop();
    await done;
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }, photo);
  const frames0 = await page.evaluate(() => window.__facegender.framesClassified);
  await page.setInputFiles('#video-input', { name: 'clip.webm', mimeType: 'video/webm', buffer: Buffer.from(webm, 'base64') });
  const playing = await page.waitForFunction((n) => window.__facegender.framesClassified > n + 3 &&
    window.__facegender.last?.source === 'video' && window.__facegender.last.faces?.length > 0, frames0, { timeout: 30000 })
    .then(() => true, () => false);
  const last = await page.evaluate(() => window.__facegender.last);
  check(playing && last.faces.every((f) => Number.isInteger(f.id)),
    `video file: frames classified, faces with track ids (${JSON.stringify(last?.faces?.map((f) => f.id))})`,
    await page.textContent('#message'));
  await page.click('#live-pause');
  const paused = await page.evaluate(() => window.__facegender.framesClassified);
  await page.waitForTimeout(800);
  const after = await page.evaluate(() => window.__facegender.framesClassified);
  check(after <= paused + 1 && (await page.textContent('#live-pause')) === 'Resume', `Pause freezes the video (${paused} -> ${after} frames)`);
  await page.click('#live-stop');
  check(await page.isEnabled('#camera-start') && (await page.evaluate(() => document.activeElement?.id)) === 'camera-start',
    'Stop: the webcam button is enabled and has the focus');
}

async function example(context, origin, options) {
  const page = await context.newPage();
  await page.goto(`${origin}/examples/minimal/`);
  await page.waitForFunction(() => !document.getElementById('photo').disabled, null, { timeout: 60000 });
  await page.setInputFiles('#photo', path.join(options.photos, GROUP));
  await page.waitForFunction(() => document.querySelectorAll('#faces li').length > 0, null, { timeout: 30000 }).catch(() => {});
  const items = await page.$$eval('#faces li', (lis) => lis.map((li) => li.textContent));
  check(items.length === 3 && items.every((t) => /^(female|male) \d{1,3}\.\d% at \(\d+, \d+\)$/.test(t)),
    `the minimal example lists the photo's faces (${items.join('; ')})`);
  await page.close();
}

async function offline(context, page, origin, server, options) {
  const ready = await page.waitForFunction(() => window.__facegender.offline === 'ready', null, { timeout: 30000 })
    .then(() => true, () => false);
  check(ready, 'the service worker is installed', await page.evaluate(() => window.__facegender.offline));
  const responses = [];
  const listener = (response) => responses.push(response);
  page.on('response', listener);
  await page.reload();
  await page.waitForFunction(() => window.__facegender?.state === 'ready', null, { timeout: 60000 });
  page.off('response', listener);
  const fromNetwork = responses.filter((r) => !r.fromServiceWorker()).map((r) => r.url());
  check(responses.length > 5 && fromNetwork.length === 0,
    `second visit: all ${responses.length} responses from the service worker`, fromNetwork.slice(0, 5).join(' '));

  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  await page.reload();
  const loaded = await page.waitForFunction(() => window.__facegender?.state === 'ready', null, { timeout: 60000 })
    .then(() => true, () => false);
  check(loaded, 'offline (server stopped): the page loads its core and model');
  if (loaded) {
    const last = await uploadPhoto(page, path.join(options.photos, GROUP));
    check(last?.labels?.length === 3, `offline: a photo is classified (${last?.labels?.join(', ')})`);
  }
}

async function main() {
  const options = parseTestArgs(process.argv.slice(2), { extra: { '--photos': 'photos', '--work': 'work' },
    required: ['photos', 'work'] }, die);
  await requireFile(options.model, 'no model: train one (scripts/train-default-model.sh)', die);
  await requireFile(options.chromium, 'install Debian\'s chromium (scripts/setup.sh does)', die);
  await requireFile(AXE, 'install the page\'s npm packages: scripts/setup.sh (or: cd web && npm ci)', die);
  for (const name of [PORTRAIT, GROUP]) {
    await requireFile(path.join(options.photos, name), 'fetch the test photos: scripts/fetch-test-photos.sh', die);
  }
  const chromiumApi = loadChromiumApi() ?? die('playwright-core is missing in web/node_modules: run scripts/setup.sh');
  const axeSource = await readFile(AXE, 'utf8');
  const site = path.join(options.work, 'site');
  const shots = path.join(options.work, 'screenshots');
  await mkdir(shots, { recursive: true });
  log(`building the site into ${site}`);
  await promisify(execFile)(process.execPath, [path.join(REPO, 'web/build.mjs'), '--out', site, '--model', options.model,
    '--wasm-build', options.wasmBuild, '--cascades', options.cascades]).catch((error) => die(`web/build.mjs: ${error.stderr || error.message}`));

  const server = await startServer(site);
  try {
    await withChromium(chromiumApi, options.chromium, [], async (context) => {
      const { page, pageErrors } = await openApp(context, `${server.origin}/?backend=webgpu`);
      const note = await page.textContent('#backend-note');
      check(await page.isVisible('#backend-note') && /WebGPU/.test(note) && (await page.inputValue('#backend-choice')) === 'wasm',
        `no WebGPU adapter: the page says why and shows WebAssembly ("${note}")`);
      const card = await page.getAttribute('#model-card-link', 'href');
      const cardPage = await context.newPage();
      const cardResponse = await cardPage.goto(new URL(card, server.origin).href);
      check(cardResponse?.ok() && /text\/html/.test(cardResponse.headers()['content-type'] ?? '') &&
        (await cardPage.locator('main table').count()) > 0 && (await cardPage.locator('main h1').count()) === 1,
      `the model card opens as an HTML page with its tables (${card})`);
      await cardPage.close();
      await phone(page, options, shots);
      await keyboardAndDownloads(page, options, shots);
      await page.emulateMedia({ colorScheme: 'light' });
      await audit(page, axeSource, 'light, three faces');
      await page.emulateMedia({ colorScheme: 'dark' });
      await audit(page, axeSource, 'dark, three faces');
      await videoFile(page, options);
      await example(context, server.origin, options);
      await offline(context, page, server.origin, server, options);
      check(pageErrors.length === 0, 'no page errors', pageErrors.slice(0, 5).join(' | '));
    });
  } finally {
    server.child.kill('SIGTERM');
  }
  log(`screenshots in ${shots}`);
  finish();
}

main().catch((error) => {
  console.error(`page test: error: ${error.stack || error}`);
  process.exit(1);
});
