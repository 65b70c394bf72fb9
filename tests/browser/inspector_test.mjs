#!/usr/bin/env node
// Browser test of the inspector (ctest browser.inspector): builds the site
// with web/build.mjs, serves it with scripts/serve.mjs and drives Debian's
// Chromium (headless, WebGL2 on SwiftShader) with playwright-core.
//
//   node tests/browser/inspector_test.mjs --photos DIR --work DIR
//        [--model FILE] [--wasm-build DIR] [--cascades DIR] [--chromium FILE]
//
// FACEGENDER_TEST_MODEL overrides --model. Checks, failing (never skipping)
// when something it needs is missing:
//  * the page loads nothing of the inspector until "Inspector" is ticked;
//  * ticked, the inspector (C++/ImGui on WebGL2) starts and draws: a
//    screenshot of its canvas has many distinct colours, and the selected
//    face's 80x80 input appears in it, pixel for pixel at 2x;
//  * the input the C++ side holds (its FNV-1a checksum, read through
//    embind) is the face's crop as the core makes it, computed here
//    independently (toGray -> cropFace -> centerCrop on the decoded photo);
//  * feature maps arrive from the "-features" model when the site has one
//    (one per conv layer), and that model's probabilities equal the
//    classifier's; without one the panel says so;
//  * clicking another face's box selects it, and the C++ side then holds
//    that face's input; the panel's own arrow (ImGui) goes back;
//  * Tab and Backspace are not swallowed by Emscripten's GLFW;
//  * unticked, the inspector stops drawing;
//  * with the classifier on WebGPU (SwiftShader's adapter), the inspector
//    opened before the photo gets the same input and its feature maps too;
//  * all requests stay on the test server, no CSP violation, no page error.

import { execFile } from 'node:child_process';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { promisify } from 'node:util';

import { REPO, WEBGPU_FLAGS, loadChromiumApi, startServer, withChromium } from '../../scripts/lib/browser.mjs';
import { createChecks, openApp, parseTestArgs, requireFile } from './harness.mjs';

// Many faces (largest first): the test clicks the second one.
const PHOTO = 'bald_guys.jpg';
// Headless Chromium gives WebGL2 through SwiftShader. Asked for explicitly:
// Chromium is retiring its automatic fallback to it.
const WEBGL_FLAGS = ['--enable-unsafe-swiftshader'];

const { log, check, die, finish } = createChecks('inspector test');

function parseArgs(argv) {
  return parseTestArgs(argv, { extra: { '--photos': 'photos', '--work': 'work' }, required: ['photos', 'work'] },
    die);
}

async function exists(file) {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

const inspectorState = (page) => page.evaluate(() => window.__facegender.inspector);

// Until the inspector has drawn everything it received (it draws on
// animation frames, only when something changed).
function waitDrawn(page) {
  return page.waitForFunction(() => window.__facegender.inspector.idle, null, { timeout: 10000 }).catch(() => {});
}

// The selected face's model input as the core makes it, computed in the page
// from the photo's bytes with a core instance of its own: decode as the page
// does (image-file.js), then toGray -> the model's crop (alignedCrop from the
// face's keypoints, or cropFace -> centerCrop of its box). Returns
// {checksum, pixels (base64), side}.
function expectedInput(page, photoBase64, last, index) {
  const box = last.boxes[index];
  const face = last.faces?.[index] ?? null;
  return page.evaluate(async ({ photoBase64, box, face }) => {
    const { default: createFaceGender } = await import('/facegender/core/facegender_wasm.mjs');
    const { readOnnxMetadata } = await import('/facegender/onnx-metadata.js');
    const fg = await createFaceGender();
    const info = await (await fetch('/facegender/build-info.json')).json();
    const spec = fg.parseModelSpec(readOnnxMetadata(new Uint8Array(await (await fetch(`/facegender/${info.model}`)).arrayBuffer())));
    const bytes = Uint8Array.from(atob(photoBase64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes]), { imageOrientation: 'from-image', colorSpaceConversion: 'none' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const gray = fg.toGray(rgba, bitmap.width, bitmap.height);
    const input = spec.cropSpec.kind === 'aligned'
      ? fg.alignedCrop(gray, bitmap.width, bitmap.height, face, spec.cropSpec)
      : fg.centerCrop(fg.cropFace(gray, bitmap.width, bitmap.height, box, spec.crop), spec.crop.size, spec.crop.size,
        spec.crop.input);
    let hash = 0x811c9dc5;
    for (const b of input) hash = Math.imul(hash ^ b, 0x01000193);
    let binary = '';
    for (const b of input) binary += String.fromCharCode(b);
    return { checksum: hash >>> 0, pixels: btoa(binary), side: spec.crop.input };
  }, { photoBase64, box, face });
}

// Screenshot of the inspector canvas, analysed in the page: how many distinct
// colours, and where the face input (side x side gray, drawn at 2x) shows up
// best: the offset with the smallest mean difference and its share of
// matching pixels (within 2 grey levels). The screenshot is kept in `file`.
async function analyseScreenshot(page, input, file) {
  const png = await page.locator('#inspector-canvas').screenshot({ path: file });
  return page.evaluate(async ({ pngBase64, pixels, side }) => {
    const bytes = Uint8Array.from(atob(pngBase64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);

    const face = Uint8Array.from(atob(pixels), (c) => c.charCodeAt(0));
    const scale = 2;
    const span = side * scale;
    // Screen gray at face pixel (i, j) for an image placed at (ox, oy): the
    // centre of its 2x2 block; the image is gray, so red stands for all.
    const at = (ox, oy, i, j) => data[((oy + j * scale + 1) * width + ox + i * scale + 1) * 4];
    const samples = [];
    for (let k = 0; k < 97; k += 1) samples.push([(k * 37) % side, (k * 53) % side]);
    let best = { diff: Infinity, x: -1, y: -1 };
    for (let oy = 0; oy + span <= height; oy += 1) {
      for (let ox = 0; ox + span <= width; ox += 1) {
        let diff = 0;
        for (const [i, j] of samples) diff += Math.abs(at(ox, oy, i, j) - face[j * side + i]);
        if (diff < best.diff) best = { diff, x: ox, y: oy };
      }
    }
    let matching = 0;
    if (best.x >= 0) {
      for (let j = 0; j < side; j += 1) {
        for (let i = 0; i < side; i += 1) {
          if (Math.abs(at(best.x, best.y, i, j) - face[j * side + i]) <= 2) matching += 1;
        }
      }
    }
    return { width, height, colours: colours.size, x: best.x, y: best.y, matching: matching / (side * side) };
  }, { pngBase64: png.toString('base64'), pixels: input.pixels, side: input.side });
}

async function session(options, origin, photoBase64, hasFeatures) {
  const photoPath = path.join(options.photos, PHOTO);
  await withChromium(options.chromiumApi, options.chromium, WEBGL_FLAGS, async (context) => {
    const requests = [];
    context.on('request', (request) => requests.push(request.url()));
    const { page, pageErrors } = await openApp(context, `${origin}/`);
    if (!check(await page.evaluate(() => window.__facegender.state) === 'ready', 'the page loads its core and model',
      await page.textContent('#message'))) return;

    // A photo first, with the inspector closed: nothing of it is loaded.
    const before = await page.evaluate(() => window.__facegender.photosClassified);
    await page.setInputFiles('#file-input', photoPath);
    await page.waitForFunction((n) => window.__facegender.photosClassified > n, before, { timeout: 30000 });
    const last = await page.evaluate(() => window.__facegender.last);
    const inspectorRequests = () => requests.filter((url) => /\/inspector(\.js|\/)/.test(url) || /-features\.onnx$/.test(url));
    check(inspectorRequests().length === 0 && await page.isHidden('#inspector-panel'),
      'closed, the inspector costs nothing: no request for its files, panel hidden', inspectorRequests().join(' '));
    if (!check(last.boxes.length >= 2, `${PHOTO}: ${last.boxes.length} faces`)) return;

    // Tick it: it loads, starts WebGL2 and shows face 1 of the photo already classified.
    await page.check('#inspector-toggle');
    const ready = await page.waitForFunction(() => {
      const s = window.__facegender.inspector;
      return (s?.ready && s.faceCount > 0 && s.inputChecksum !== 0) || s?.error || window.__facegender.messages.length > 0;
    }, null, { timeout: 60000 }).then(() => true, () => false);
    let state = await inspectorState(page);
    if (!check(ready && state?.ready, 'ticked, the inspector starts (WebGL2, ImGui)',
      JSON.stringify(state) + (await page.textContent('#message')))) return;
    const webgl = await page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2');
      const info = gl?.getExtension('WEBGL_debug_renderer_info');
      return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : null;
    });
    log(`WebGL2 renderer: ${webgl}`);

    if (hasFeatures) {
      await page.waitForFunction(() => window.__facegender.inspector.featureLayers > 0, null, { timeout: 30000 })
        .catch(() => {});
    }
    await waitDrawn(page);
    state = await inspectorState(page);
    check(state.selectedFace === 0 && state.faceCount === last.boxes.length,
      `it selects face 1 of ${last.boxes.length} (C++: face ${state.selectedFace + 1} of ${state.faceCount})`);
    check(JSON.stringify(state.inputSize) === '[80,80]', `the C++ side holds an ${state.inputSize?.join('x')} input`);
    const face0 = await expectedInput(page, photoBase64, last, 0);
    check(state.inputChecksum === face0.checksum,
      `the input the C++ side holds is face 1's crop (FNV-1a ${state.inputChecksum?.toString(16)} = ${face0.checksum.toString(16)})`);
    check(state.frames >= 1, `the C++ side got the photo's timings (${state.frames} frame)`);
    if (hasFeatures) {
      check(state.featureLayers > 0 && state.featuresModel === 'models/facegender-features.onnx',
        `feature maps received: ${state.featureLayers} conv layers`);
      check(state.featuresAgree === true, 'the features model gives the classifier\'s probabilities');
    } else {
      await page.waitForFunction(() => /no feature outputs/.test(window.__facegender.inspector.featuresNote), null,
        { timeout: 10000 }).catch(() => {});
      state = await inspectorState(page);
      check(state.featureLayers === 0 && state.featuresModel === null && /no feature outputs/.test(state.featuresNote),
        `no features model: no feature maps, and the panel says so ("${state.featuresNote}")`);
    }

    const shot = await analyseScreenshot(page, face0, path.join(options.work, 'inspector-face1.png'));
    check(shot.colours >= 64, `the inspector canvas (${shot.width}x${shot.height}) is drawn: ${shot.colours} distinct colours`);
    check(shot.matching >= 0.99,
      `the canvas shows face 1's input at 2x (at ${shot.x},${shot.y}: ${(100 * shot.matching).toFixed(1)}% of its pixels)`);

    // Click the second face's box in the picture: the inspector follows.
    const box = last.boxes[1];
    const view = await page.locator('#view').boundingBox();
    const viewSize = [last.width, last.height];  // the canvas shows the whole picture
    await page.mouse.click(view.x + ((box.x + box.width / 2) / viewSize[0]) * view.width,
      view.y + ((box.y + box.height / 2) / viewSize[1]) * view.height);
    const face1 = await expectedInput(page, photoBase64, last, 1);
    const followed = await page.waitForFunction((sum) => window.__facegender.inspector.inputChecksum === sum,
      face1.checksum, { timeout: 10000 }).then(() => true, () => false);
    state = await inspectorState(page);
    check(followed && state.selectedFace === 1,
      `a click on face 2's box selects it; the C++ side then holds its input (face ${state.selectedFace + 1}, ${state.inputChecksum?.toString(16)})`);
    await waitDrawn(page);
    const shot1 = await analyseScreenshot(page, face1, path.join(options.work, 'inspector-face2.png'));
    check(shot1.matching >= 0.99, `the canvas then shows face 2's input (${(100 * shot1.matching).toFixed(1)}%)`);

    // The panel's own "previous face" arrow (top left, ImGui): back to face 1.
    await page.locator('#inspector-canvas').click({ position: { x: 17, y: 18 } });
    const back = await page.waitForFunction((sum) => window.__facegender.inspector.inputChecksum === sum,
      face0.checksum, { timeout: 10000 }).then(() => true, () => false);
    state = await inspectorState(page);
    check(back && state.selectedFace === 0,
      `the panel's "previous face" arrow selects face 1 again (face ${state.selectedFace + 1}, ${state.inputChecksum?.toString(16)})`);

    // The page's keyboard still works with the inspector loaded.
    await page.focus('#inspector-toggle');
    await page.evaluate(() => {
      window.__keysSeen = [];
      document.addEventListener('keydown', (event) => {
        window.__keysSeen.push(`${event.key}:${event.defaultPrevented ? 'prevented' : 'free'}`);
      });
    });
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Tab');
    const seen = await page.evaluate(() => window.__keysSeen);
    const focused = await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
    check(seen.length === 2 && seen.every((k) => k.endsWith(':free')) && focused !== 'inspector-toggle',
      `Tab and Backspace reach the page (${seen.join(', ')}; focus moved to ${focused})`);

    // Untick: hidden, and it stops drawing.
    await page.uncheck('#inspector-toggle');
    const drawn = (await inspectorState(page)).framesDrawn;
    await page.mouse.move(10, 10);
    await page.waitForTimeout(300);
    state = await inspectorState(page);
    check(await page.isHidden('#inspector-panel') && state.open === false && state.framesDrawn === drawn,
      `unticked, the panel hides and stops drawing (${state.framesDrawn} frames drawn)`);

    const offsite = requests.filter((url) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url));
    check(requests.length > 0 && offsite.length === 0, `all ${requests.length} requests went to ${origin}`,
      offsite.slice(0, 5).join(' '));
    const violations = await page.evaluate(() => window.__facegender.cspViolations);
    check(violations.length === 0, 'no Content-Security-Policy violation', violations.join('; '));
    check(pageErrors.length === 0, 'no page errors', pageErrors.slice(0, 5).join(' | '));
  });
}

// The classifier on WebGPU: the features model then runs on the WebAssembly
// backend of the same ONNX Runtime bundle, in the classifier's queue.
async function webgpuSession(options, origin, photoBase64, hasFeatures) {
  await withChromium(options.chromiumApi, options.chromium, WEBGPU_FLAGS, async (context) => {
    const { page, pageErrors } = await openApp(context, `${origin}/`);
    const backend = await page.evaluate(() => window.__facegender.backend);
    if (!check(backend === 'webgpu', `webgpu: the classifier runs on WebGPU (${backend})`)) return;
    await page.check('#inspector-toggle');
    await page.waitForFunction(() => window.__facegender.inspector?.ready, null, { timeout: 60000 }).catch(() => {});
    await page.setInputFiles('#file-input', path.join(options.photos, PHOTO));
    await page.waitForFunction((features) => {
      const s = window.__facegender.inspector;
      return s.faceCount > 0 && (!features || s.featureLayers > 0 || /failed/.test(s.featuresNote));
    }, hasFeatures, { timeout: 60000 }).catch(() => {});
    const state = await inspectorState(page);
    const last = await page.evaluate(() => window.__facegender.last);
    const face0 = await expectedInput(page, photoBase64, last, 0);
    check(state.inputChecksum === face0.checksum, `webgpu: the C++ side holds face 1's crop (${state.inputChecksum?.toString(16)})`);
    if (hasFeatures) {
      check(state.featureLayers > 0 && state.featuresAgree === true,
        `webgpu: ${state.featureLayers} layers of feature maps, probabilities equal the classifier's`, state.featuresNote);
    }
    check(pageErrors.length === 0, 'webgpu: no page errors', pageErrors.slice(0, 5).join(' | '));
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  await requireFile(options.model, 'no model: train one (scripts/train-default-model.sh) or set FACEGENDER_TEST_MODEL=FILE', die);
  await requireFile(options.chromium, 'install Debian\'s chromium (scripts/setup.sh does)', die);
  await requireFile(path.join(options.photos, PHOTO), 'fetch the test photos: scripts/fetch-test-photos.sh', die);
  options.chromiumApi = loadChromiumApi() ??
    die('playwright-core is not installed in web/node_modules: run scripts/setup.sh (or: cd web && npm ci)');
  // A stale inspector build would test old code: fail, saying what to run.
  const inspectorWasm = path.join(options.wasmBuild, 'wasm-client/facegender_inspector.wasm');
  await requireFile(inspectorWasm, 'build the wasm preset: NODE_PATH=/usr/share/nodejs cmake --build --preset wasm', die);
  const sourceDir = path.join(REPO, 'wasm-client/inspector/src');
  const built = (await stat(inspectorWasm)).mtimeMs;
  for (const name of await readdir(sourceDir)) {
    if ((await stat(path.join(sourceDir, name))).mtimeMs > built) {
      die(`${inspectorWasm} is older than wasm-client/inspector/src/${name}: rebuild the wasm preset ` +
        '(NODE_PATH=/usr/share/nodejs cmake --build --preset wasm)');
    }
  }
  const featuresModel = path.join(path.dirname(options.model), `${path.basename(options.model, '.onnx')}-features.onnx`);
  const hasFeatures = await exists(featuresModel);
  log(`model ${options.model}; features model: ${hasFeatures ? featuresModel : 'none'}`);

  const site = path.join(options.work, 'site-inspector');
  log(`building the site into ${site}`);
  try {
    await promisify(execFile)(process.execPath, [path.join(REPO, 'web/build.mjs'), '--out', site, '--model', options.model,
      '--wasm-build', options.wasmBuild, '--cascades', options.cascades]);
  } catch (error) {
    die(`web/build.mjs failed: ${error.stderr || error.message}`);
  }
  const info = JSON.parse(await readFile(path.join(site, 'facegender', 'build-info.json'), 'utf8'));
  check(Boolean(info.featuresModel) === hasFeatures, `build-info.json featuresModel: ${info.featuresModel}`);

  const photoBase64 = (await readFile(path.join(options.photos, PHOTO))).toString('base64');
  const server = await startServer(site);
  try {
    await session(options, server.origin, photoBase64, hasFeatures);
    await webgpuSession(options, server.origin, photoBase64, hasFeatures);
  } finally {
    server.child.kill('SIGTERM');
  }
  finish();
}

main().catch((error) => {
  console.error(`inspector test: error: ${error.stack || error}`);
  process.exit(1);
});
