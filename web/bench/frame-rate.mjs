#!/usr/bin/env node
// Frame-rate benchmark of the browser app: the page's own webcam loop
// (capture -> detect -> preprocess -> infer -> draw) on a fixed set of
// 640x480 frames with 1 and with 3 faces, on WebAssembly and on WebGPU, in
// Debian's headless Chromium. Prints the median and p95 per stage, the frames
// per second, the model load and warm-up times and the bytes the page
// downloads.
//
//   node web/bench/frame-rate.mjs [--site DIR] [--photos DIR] [--seconds S]
//        [--backends wasm,webgpu] [--full-search-every 1,6] [--threads 0,1,2] [--chromium FILE] [--json FILE]
//
// --full-search-every: webcam frames per full face search (the page's
// ?full-search-every=); 1 searches every frame, 6 is the page's default, with
// the core's tracker in between. --threads: ONNX Runtime's WebAssembly threads
// (the page's ?threads=); 0 is the page's default.
//
// scripts/bench-browser.sh builds the site first and runs this. The frames
// are made in the page from the dlib test photos (scripts/fetch-test-photos.sh):
// faces cut from them (found by the core), pasted on a photo without faces
// (dogs.jpg), so each frame has a cluttered background and a known number of
// faces, drifting a little from frame to frame as a webcam's do. A canvas
// stream stands in for the camera (getUserMedia is replaced before the page
// loads), so the page's real camera code path runs.

import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';

import { REPO, WEBGPU_FLAGS, loadChromiumApi, startServer, withChromium } from '../../scripts/lib/browser.mjs';

const FRAME_SETS = [1, 3];
// One second of video at 60 frames a second, played in a loop.
const FRAMES_PER_SET = 60;
const WARM_UP_MS = 2000;
const STAGES = ['captureMs', 'detectMs', 'prepareMs', 'inferMs', 'drawMs', 'totalMs'];

function die(message) {
  console.error(`frame-rate benchmark: error: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const options = {
    site: path.join(REPO, 'build/web'),
    photos: path.join(REPO, '.cache/test-photos/dlib-faces'),
    seconds: 10,
    backends: ['wasm', 'webgpu'],
    fullSearchEvery: [1, 6],
    threads: [0],
    chromium: '/usr/bin/chromium',
    json: null,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (name === '-h' || name === '--help') {
      console.log('usage: node web/bench/frame-rate.mjs [--site DIR] [--photos DIR] [--seconds S] ' +
        '[--backends wasm,webgpu] [--full-search-every 1,6] [--threads 0,1,2] [--chromium FILE] [--json FILE]');
      process.exit(0);
    }
    if (value === undefined) die(`${name} needs a value`);
    if (name === '--site') options.site = path.resolve(value);
    else if (name === '--photos') options.photos = path.resolve(value);
    else if (name === '--seconds') options.seconds = Number(value);
    else if (name === '--backends') options.backends = value.split(',');
    else if (name === '--full-search-every') options.fullSearchEvery = value.split(',').map(Number);
    else if (name === '--threads') options.threads = value.split(',').map(Number);
    else if (name === '--chromium') options.chromium = value;
    else if (name === '--json') options.json = path.resolve(value);
    else die(`unknown argument '${name}' (try --help)`);
  }
  if (!(options.seconds > 0)) die('--seconds must be a positive number');
  for (const backend of options.backends) {
    if (!['wasm', 'webgpu'].includes(backend)) die(`unknown backend '${backend}' (wasm, webgpu)`);
  }
  return options;
}

async function isFile(file) {
  return stat(file).then((s) => s.isFile(), () => false);
}

// Runs before the page's scripts: the camera is whatever stream the
// benchmark sets in window.__benchCamera.
function replaceCamera() {
  window.__benchCamera = { stream: null };
  // Main-thread tasks over 50 ms (the page cannot react to input meanwhile).
  window.__benchLongTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__benchLongTasks.push({ start: entry.startTime, ms: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  const devices = navigator.mediaDevices;
  const real = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) =>
    (window.__benchCamera.stream ? Promise.resolve(window.__benchCamera.stream) : real(constraints));
}

// In the page: cuts the faces out of the photos and pastes `faces` of them on
// the background photo per frame; keeps the frames where the page's webcam
// search finds exactly `faces`. Then plays them as the camera stream.
async function makeCamera({ photos, background, faces, framesWanted, search }) {
  const site = new URL('./', window.location.href);
  const { default: createFaceGender } = await import(new URL('facegender/core/facegender_wasm.mjs', site).href);
  const fg = await createFaceGender();
  const library = new URL('facegender/', site);
  const info = await (await fetch(new URL('build-info.json', library))).json();
  const cascade = fg.Cascade.fromJson(await (await fetch(new URL(info.cascade, library))).text(), 'faces');
  const decode = (b64) => createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]));
  const width = 640;
  const height = 480;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const facesIn = (source) => {
    ctx.drawImage(source, 0, 0, width, height);
    const gray = fg.toGray(ctx.getImageData(0, 0, width, height).data, width, height);
    return fg.findFaces(cascade, gray, width, height, search);
  };

  // Every face of at least 60 px in the photos, as (bitmap, box).
  const pieces = [];
  for (const b64 of photos) {
    const bitmap = await decode(b64);
    const work = new OffscreenCanvas(bitmap.width, bitmap.height);
    const wctx = work.getContext('2d', { willReadFrequently: true });
    wctx.drawImage(bitmap, 0, 0);
    const gray = fg.toGray(wctx.getImageData(0, 0, bitmap.width, bitmap.height).data, bitmap.width, bitmap.height);
    for (const box of fg.findFaces(cascade, gray, bitmap.width, bitmap.height, { ...search, maxSide: 0 })) {
      if (box.width >= 60) pieces.push({ bitmap, box });
    }
  }
  const backdrop = await decode(background);

  // A scene: face windows (2.2x the face) in a row on the backdrop. Its video
  // drifts the faces smoothly (a closed path, so the loop does not jump), as
  // people in front of a webcam do. A scene is kept when the full search
  // finds exactly `faces` at four points of the path.
  const side = faces === 1 ? 300 : 200;
  const render = (chosen, t) => {
    const frame = new OffscreenCanvas(width, height);
    const fctx = frame.getContext('2d');
    const dx = 24 * Math.sin((2 * Math.PI * t) / framesWanted);
    const dy = 10 * Math.sin((4 * Math.PI * t) / framesWanted);
    fctx.drawImage(backdrop, -40 + dx / 3, -20 + dy / 3, width + 80, height + 40);
    chosen.forEach(({ bitmap, box }, k) => {
      const span = box.width * 2.2;
      const sx = box.x + box.width / 2 - span / 2;
      const sy = box.y + box.height / 2 - span / 2;
      const x = (faces === 1 ? 170 : 10 + k * 215) + dx;
      const y = (faces === 1 ? 90 : 140) + dy;
      fctx.drawImage(bitmap, sx, sy, span, span, x, y, side, side);
    });
    return frame.transferToImageBitmap();
  };
  let chosen = null;
  let tried = 0;
  for (let first = 0; !chosen && first + faces <= pieces.length; first += 1) {
    tried += 1;
    const candidate = pieces.slice(first, first + faces);
    const checks = [0, 1, 2, 3].map((q) => render(candidate, (q * framesWanted) / 4));
    if (checks.every((bitmap) => facesIn(bitmap).length === faces)) chosen = candidate;
    checks.forEach((bitmap) => bitmap.close());
  }
  if (!chosen) throw new Error(`no ${faces}-face scene found in ${tried} tries`);
  const frames = Array.from({ length: framesWanted }, (_, t) => render(chosen, t));

  // 60 frames a second from the set, like a camera faster than the page.
  let index = 0;
  const tick = () => {
    ctx.drawImage(frames[index % frames.length], 0, 0);
    index += 1;
    window.__benchCamera.timer = requestAnimationFrame(tick);
  };
  tick();
  window.__benchCamera.stream = canvas.captureStream(60);
  return { frames: frames.length, tried, pieces: pieces.length };
}

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[at];
}

function summarize(log, seconds) {
  const stages = {};
  for (const stage of STAGES) {
    const values = log.map((entry) => entry[stage] ?? 0).sort((a, b) => a - b);
    stages[stage] = { median: percentile(values, 0.5), p95: percentile(values, 0.95) };
  }
  const facesSeen = log.reduce((sum, entry) => sum + entry.faces, 0) / Math.max(1, log.length);
  return { frames: log.length, fps: log.length / seconds, facesPerFrame: facesSeen, stages };
}

async function measureBackend(context, origin, options, { backend, every, threads }, photos) {
  const page = await context.newPage();
  const bytes = { total: 0, files: 0 };
  const counting = (request) => request.sizes().then((s) => {
    bytes.total += s.responseBodySize;
    bytes.files += 1;
  }, () => {});
  page.on('requestfinished', counting);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.addInitScript(replaceCamera);
  const t0 = Date.now();
  await page.goto(`${origin}/?backend=${backend}&full-search-every=${every}${threads ? `&threads=${threads}` : ''}`);
  await page.waitForFunction(() => window.__facegender && window.__facegender.state !== 'loading', null,
    { timeout: 120000 });
  const readyMs = Date.now() - t0;
  const loaded = await page.evaluate(() => ({ state: window.__facegender.state, backend: window.__facegender.backend,
    loadTimings: window.__facegender.loadTimings, threads: window.__facegender.threads,
    message: document.getElementById('message').textContent }));
  if (loaded.state !== 'ready') die(`${backend}: the page did not load: ${loaded.message}`);
  if (loaded.backend !== backend) die(`asked for ${backend}, the page runs ${loaded.backend}`);
  page.off('requestfinished', counting);
  await page.waitForTimeout(200);

  const result = { backend, threads: loaded.threads, fullSearchEvery: every, readyMs, loadTimings: loaded.loadTimings, download: { ...bytes },
    sets: [] };
  for (const faces of FRAME_SETS) {
    const camera = await page.evaluate(makeCamera, {
      photos: photos.faces, background: photos.background, faces, framesWanted: FRAMES_PER_SET,
      search: { scaleFactor: 1.1, minNeighbors: 5, minSize: 0, padFraction: 0, maxSide: 320 },
    });
    await page.click('#camera-start');
    await page.waitForFunction(() => window.__facegender.framesClassified > 0, null, { timeout: 30000 });
    await page.waitForTimeout(WARM_UP_MS);
    const from = await page.evaluate(() => performance.now());
    await page.waitForTimeout(options.seconds * 1000);
    const log = await page.evaluate((since) => window.__facegender.frameLog.filter((e) => e.start >= since), from);
    const longTasks = await page.evaluate((since) => window.__benchLongTasks.filter((t) => t.start >= since), from);
    await page.click('#live-stop');
    await page.evaluate(() => {
      cancelAnimationFrame(window.__benchCamera.timer);
      window.__benchCamera.stream.getTracks().forEach((t) => t.stop());
      window.__benchCamera.stream = null;
    });
    const summary = { faces, videoFrames: camera.frames, ...summarize(log, options.seconds),
      longTasksPerSecond: longTasks.length / options.seconds,
      longestTaskMs: Math.max(0, ...longTasks.map((t) => t.ms)) };
    result.sets.push(summary);
    console.log(`  ${backend} (${loaded.threads} threads), full search every ${every}, ${faces} face${faces === 1 ? '' : 's'}: ${summary.frames} frames in ` +
      `${options.seconds} s = ${summary.fps.toFixed(1)} fps, ${summary.facesPerFrame.toFixed(2)} faces found per frame`);
  }
  if (pageErrors.length > 0) die(`${backend}: page errors: ${pageErrors.join(' | ')}`);
  await page.close();
  return result;
}

const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : '–');

function printTable(results) {
  console.log('\n| backend | threads | full search every | faces | fps | total | capture | detect | preprocess | infer | draw | long tasks/s (longest) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    for (const s of r.sets) {
      const cell = (stage) => `${ms(s.stages[stage].median)} / ${ms(s.stages[stage].p95)}`;
      console.log(`| ${r.backend} | ${r.threads} | ${r.fullSearchEvery} | ${s.faces} (${s.facesPerFrame.toFixed(2)} found) | ${s.fps.toFixed(1)} | ` +
        `${STAGES.map((stage) => (stage === 'totalMs' ? null : cell(stage))).filter(Boolean).reduce(
          (row, c) => `${row} | ${c}`, cell('totalMs'))} | ${s.longTasksPerSecond.toFixed(1)} (${ms(s.longestTaskMs)} ms) |`);
    }
  }
  console.log('\nms per frame, median / p95. fps: frames the page finished per second of wall time. ' +
    'Long tasks: main-thread tasks over 50 ms, when the page cannot respond to input.');
  console.log('\n| backend | page ready | core + cascade | model fetch | session | warm-up | downloaded |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results.filter((x, i) => results.findIndex((y) => y.backend === x.backend) === i)) {
    const t = r.loadTimings;
    console.log(`| ${r.backend} | ${r.readyMs} ms | ${ms(t.coreMs)} ms | ${ms(t.modelMs)} ms | ${ms(t.sessionMs)} ms | ` +
      `${ms(t.warmUpMs)} ms | ${(r.download.total / 2 ** 20).toFixed(2)} MiB in ${r.download.files} files |`);
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!(await isFile(path.join(options.site, 'index.html')))) {
    die(`${options.site}/index.html is missing: build the site (node web/build.mjs, or scripts/bench-browser.sh)`);
  }
  if (!(await isFile(options.chromium))) die(`${options.chromium} is missing: run scripts/setup.sh`);
  const chromiumApi = loadChromiumApi() ?? die('playwright-core is missing in web/node_modules: run scripts/setup.sh');
  const names = (await readdir(options.photos).catch(() => [])).filter((n) => n.endsWith('.jpg')).sort();
  if (!names.includes('dogs.jpg') || names.length < 4) {
    die(`${options.photos}: the dlib test photos are missing: run scripts/fetch-test-photos.sh`);
  }
  const read = (name) => readFile(path.join(options.photos, name)).then((b) => b.toString('base64'));
  const photos = {
    faces: await Promise.all(names.filter((n) => n !== 'dogs.jpg').map(read)),
    background: await read('dogs.jpg'),
  };

  console.log(`frame-rate benchmark: ${options.site}, ${options.seconds} s per run, Chromium ${options.chromium}`);
  const server = await startServer(options.site);
  let results;
  try {
    results = await withChromium(chromiumApi, options.chromium, WEBGPU_FLAGS, async (context) => {
      const all = [];
      for (const backend of options.backends) {
        for (const every of options.fullSearchEvery) {
          for (const threads of options.threads) {
            all.push(await measureBackend(context, server.origin, options, { backend, every, threads }, photos));
          }
        }
      }
      return all;
    });
  } finally {
    server.child.kill('SIGTERM');
  }
  printTable(results);
  if (options.json) await writeFile(options.json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error) => die(error.stack || String(error)));
