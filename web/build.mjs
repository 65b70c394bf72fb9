#!/usr/bin/env node
// Builds the browser app into one self-contained static folder (default
// build/web/) that scripts/serve.mjs serves as it is:
//
//   node web/build.mjs [--out DIR] [--model FILE] [--wasm-build DIR] [--cascades DIR]
//
//   DIR/index.html, style.css, manifest.webmanifest, sw.js   the page (web/;
//                                        sw.js with this build's file list)
//   DIR/app/*.js                         the page's modules (web/app/)
//   DIR/inspector/facegender_inspector.{mjs,wasm}  the inspector (build/wasm/
//                                        wasm-client/), loaded only when opened
//   DIR/examples/                        the minimal example page (web/examples/)
//   DIR/facegender/                      the library, self-contained, with its
//                                        package.json (a site copies this folder):
//     facegender.js, facegender.d.ts, *.js   the API and its worker (web/facegender/)
//     core/facegender_wasm.{mjs,wasm}    the C++ core
//     detectors/*.fgnet                  BlazeFace (build/native/detectors/)
//     cascades/haarcascade_frontalface_default.json   (build/native/cascades/)
//     models/facegender.onnx             the model (models/facegender.onnx), with
//                                        MODEL_CARD.md and .html when there is one
//     models/facegender-features.onnx    the model with its feature maps as extra
//                                        outputs, for the inspector, when
//                                        STEM-features.onnx is beside the model
//     ort/                               the ONNX Runtime Web files it uses
//                                        (web/node_modules, `npm ci` in web/)
//     build-info.json                    what it was built with
//
// Fails, with what to run, when an input is missing. Nothing is fetched from
// the network; the page loads only these files.

import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { marked } from 'marked';

import { readOnnxMetadata } from './facegender/onnx-metadata.js';

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(WEB_DIR);

// The page's own files (everything else in web/ is tooling or docs); sw.js
// is written with this build's file list.
const PAGE_FILES = ['index.html', 'style.css', 'favicon.svg', 'manifest.webmanifest',
  'app/main.js', 'app/view.js', 'app/layout.js', 'app/results.js', 'app/live.js', 'app/options.js',
  'app/debug.js', 'app/inspector.js', 'app/download.js', 'examples/minimal/index.html', 'examples/minimal/main.js',
  'review.html', 'review/main.js', 'review/folder.js', 'review/decisions.js', 'review/export.js', 'review/store.js',
  'review/open.js', 'review/scoring.js', 'review/grid.js', 'review/review-worker.js'];
// npm packages the pages import by name, copied into DIR/vendor/; the build
// points each page file's `from 'NAME'` at the copy (no bundler, no import map).
const VENDOR_MODULES = {
  'd3-dsv': 'd3-dsv/dist/d3-dsv.mjs',
  idb: 'idb/build/index.js',
};
// The library (web/facegender/), copied into DIR/facegender/ with the core,
// detector, model and ONNX Runtime.
const LIBRARY = 'facegender';
const LIBRARY_FILES = ['facegender.js', 'facegender.d.ts', 'errors.js', 'settings.js', 'sources.js', 'image-file.js',
  'onnx-metadata.js', 'pipeline.js', 'classifier-client.js', 'classifier-worker.js', 'package.json', 'README.md'];
// What a visitor on WebAssembly never loads, so the service worker does not
// fetch it ahead (it is cached when used).
const NOT_PRECACHED = [/^facegender\/ort\/(ort\.webgpu|.*asyncify)/, /^inspector\//, /-features\.onnx$/, /\.gz$/,
  /^review(\.html$|\/)/, /^vendor\//,
  /\.md$/, /\.d\.ts$/, /package\.json$/, /^examples\//, /^sw\.js$/, /^app\/inspector\.js$/, /MODEL_CARD/];

// ONNX Runtime Web: one bundle per backend (pipeline.js loads the one in use),
// each loading its Emscripten glue and binary from wasmPaths.
const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm',
  'ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

const FACE_CASCADE = 'haarcascade_frontalface_default.json';
// BlazeFace's networks as the core reads them (shared/tools/tflite_to_fgnet).
const DETECTOR_FILES = ['face_detection_short_range.fgnet', 'face_detection_full_range.fgnet'];

function fail(message) {
  console.error(`facegender web build: error: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const options = {
    out: path.join(REPO, 'build/web'),
    model: path.join(REPO, 'models/facegender.onnx'),
    wasmBuild: path.join(REPO, 'build/wasm'),
    cascades: path.join(REPO, 'build/native/cascades'),
  };
  const names = { '--out': 'out', '--model': 'model', '--wasm-build': 'wasmBuild', '--cascades': 'cascades' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      console.log('usage: node web/build.mjs [--out DIR] [--model FILE] [--wasm-build DIR] [--cascades DIR]');
      process.exit(0);
    }
    const name = names[arg];
    if (!name || i + 1 >= argv.length) fail(`unknown or incomplete argument '${arg}' (try --help)`);
    options[name] = path.resolve(argv[i + 1]);
    i += 1;
  }
  return options;
}

async function requireFile(file, hint) {
  let info;
  try {
    info = await stat(file);
  } catch {
    fail(`${path.relative(process.cwd(), file) || file} is missing: ${hint}`);
  }
  if (!info.isFile() || info.size === 0) fail(`${file} is not a non-empty file: ${hint}`);
  return info;
}

async function exists(file) {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

// The inspector's feature maps come from the model's twin with every conv
// layer's activation as an extra output (`facegender export --feature-maps`),
// STEM-features.onnx beside STEM.onnx. It must be the same model: the same
// metadata (weights, classes, crop, normalisation), except for the list of
// feature maps. Returns its path, or null when there is none.
async function checkFeaturesModel(model) {
  const features = path.join(path.dirname(model), `${path.basename(model, '.onnx')}-features.onnx`);
  if (!(await exists(features))) return null;
  const [mine, theirs] = await Promise.all([readFile(model), readFile(features)].map(async (bytes) =>
    readOnnxMetadata(new Uint8Array(await bytes))));
  const { feature_maps: maps, ...featuresRest } = theirs;
  const differing = [...new Set([...Object.keys(mine), ...Object.keys(featuresRest)])]
    .filter((key) => mine[key] !== featuresRest[key]);
  if (!maps || differing.length > 0) {
    fail(`${features} is not ${model} with feature maps (${!maps ? 'no feature_maps metadata' : `metadata differs: ${differing.join(', ')}`}): ` +
      `export it again from the model's run: facegender export RUN --out ${features} --feature-maps`);
  }
  return features;
}

// Points `from 'NAME'` in a copied page module at DIR/vendor/NAME.js.
async function pointAtVendorCopies(file, out) {
  const text = await readFile(file, 'utf8');
  let changed = text;
  for (const name of Object.keys(VENDOR_MODULES)) {
    const relative = path.relative(path.dirname(file), path.join(out, 'vendor', `${name}.js`)).split(path.sep).join('/');
    changed = changed.replaceAll(`from '${name}';`, `from '${relative.startsWith('.') ? relative : `./${relative}`}';`);
  }
  if (changed !== text) await writeFile(file, changed);
}

// FILE.gz beside each large file that compresses well (the WebAssembly
// binaries shrink to a quarter), for servers that send precompressed files
// (scripts/serve.mjs does). Returns the bytes saved.
const GZIP_EXTENSIONS = new Set(['.wasm', '.mjs', '.js', '.onnx', '.json']);
async function writeGzipTwin(file) {
  if (!GZIP_EXTENSIONS.has(path.extname(file))) return 0;
  const bytes = await readFile(file);
  if (bytes.length < 16 << 10) return 0;
  const packed = gzipSync(bytes);
  if (packed.length > bytes.length * 0.9) return 0;
  await writeFile(`${file}.gz`, packed);
  return bytes.length - packed.length;
}

// MODEL_CARD.md and the same as a page (marked, GitHub-flavoured tables),
// so the link from the app opens readable HTML.
async function writeModelCard(source, folder) {
  const markdown = await readFile(source, 'utf8');
  await copyFile(source, path.join(folder, 'MODEL_CARD.md'));
  const title = (markdown.match(/^# (.+)$/m)?.[1] ?? 'Model card').replace(/[<>&]/g, '');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="../../style.css">
</head>
<body class="document">
<main>
${marked.parse(markdown, { gfm: true })}
</main>
</body>
</html>
`;
  await writeFile(path.join(folder, 'MODEL_CARD.html'), html);
}

// sw.js with this build's name (a hash of every file) and the files a
// WebAssembly visitor loads, which it caches at install.
async function writeServiceWorker(out, detector) {
  const entries = (await readdir(out, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(out, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join('/'))
    .sort();
  const hash = createHash('sha256');
  for (const file of entries) hash.update(file).update(await readFile(path.join(out, file)));
  // A BlazeFace model's visitors never load the Haar cascade, a Haar model's never the BlazeFace networks.
  const unused = detector === 'blazeface' ? /^facegender\/cascades\// : /^facegender\/detectors\//;
  const precache = ['./', ...entries.filter((f) => f !== 'index.html' && !unused.test(f) &&
    !NOT_PRECACHED.some((re) => re.test(f)))];
  const template = await readFile(path.join(WEB_DIR, 'sw.js'), 'utf8');
  const worker = template
    .replace(/^const BUILD = .*;$/m, `const BUILD = '${hash.digest('hex').slice(0, 16)}';`)
    .replace(/^const PRECACHE = .*;$/m, `const PRECACHE = ${JSON.stringify(precache)};`);
  if (worker === template) fail('web/sw.js lacks its BUILD and PRECACHE lines');
  const target = path.join(out, 'sw.js');
  await writeFile(`${target}.tmp`, worker);
  await rename(`${target}.tmp`, target);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const coreDir = path.join(options.wasmBuild, 'wasm-client');
  const ortDir = path.join(WEB_DIR, 'node_modules/onnxruntime-web/dist');

  // Every input first, so a failed build leaves the old folder alone.
  const copies = [];
  for (const name of PAGE_FILES) {
    copies.push([path.join(WEB_DIR, name), name, 'the page file is part of the checkout']);
  }
  for (const name of LIBRARY_FILES) {
    copies.push([path.join(WEB_DIR, LIBRARY, name), `${LIBRARY}/${name}`, 'the library file is part of the checkout']);
  }
  for (const name of ['facegender_wasm.mjs', 'facegender_wasm.wasm']) {
    copies.push([path.join(coreDir, name), `${LIBRARY}/core/${name}`,
      'build the wasm preset: NODE_PATH=/usr/share/nodejs cmake --preset wasm && cmake --build --preset wasm']);
  }
  for (const name of ['facegender_inspector.mjs', 'facegender_inspector.wasm']) {
    copies.push([path.join(coreDir, name), `inspector/${name}`,
      'build the wasm preset (it needs Dear ImGui\'s sources: scripts/setup.sh): ' +
      'NODE_PATH=/usr/share/nodejs cmake --preset wasm && cmake --build --preset wasm']);
  }
  copies.push([path.join(options.cascades, FACE_CASCADE), `${LIBRARY}/cascades/${FACE_CASCADE}`,
    'build the native preset, which converts the cascades: cmake --preset native && cmake --build --preset native --target facegender_cascades']);
  const detectorDir = path.join(options.cascades, '..', 'detectors');
  for (const name of DETECTOR_FILES) {
    copies.push([path.join(detectorDir, name), `${LIBRARY}/detectors/${name}`,
      'build the native preset, which converts MediaPipe\'s BlazeFace models: cmake --preset native && cmake --build --preset native --target facegender_detectors']);
  }
  copies.push([options.model, `${LIBRARY}/models/facegender.onnx`,
    'no model to ship: train one (scripts/train-default-model.sh, or see native-trainer/README.md) or pass --model FILE (serve.sh: FACEGENDER_MODEL=FILE)']);
  for (const [name, file] of Object.entries(VENDOR_MODULES)) {
    copies.push([path.join(WEB_DIR, 'node_modules', file), `vendor/${name}.js`, 'install the page\'s npm packages: (cd web && npm ci)']);
  }
  for (const name of ORT_FILES) {
    copies.push([path.join(ortDir, name), `${LIBRARY}/ort/${name}`, 'install the page\'s npm packages: (cd web && npm ci)']);
  }
  let bytes = 0;
  for (const [from, , hint] of copies) bytes += (await requireFile(from, hint)).size;
  const featuresModel = await checkFeaturesModel(options.model);
  if (featuresModel) {
    copies.push([featuresModel, `${LIBRARY}/models/facegender-features.onnx`]);
    bytes += (await stat(featuresModel)).size;
  }

  const modelCard = path.join(path.dirname(options.model), 'MODEL_CARD.md');
  const hasModelCard = await exists(modelCard);

  await rm(options.out, { recursive: true, force: true });
  let compressed = 0;
  for (const [from, to] of copies) {
    const target = path.join(options.out, to);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(from, target);
    if (PAGE_FILES.includes(to) && to.endsWith('.js')) await pointAtVendorCopies(target, options.out);
    compressed += await writeGzipTwin(target);
  }
  // The library reads this to know what it was built with (and whether there is a model card).
  const { version: ortVersion } = JSON.parse(
    await readFile(path.join(WEB_DIR, 'node_modules/onnxruntime-web/package.json'), 'utf8'));
  const library = path.join(options.out, LIBRARY);
  if (hasModelCard) await writeModelCard(modelCard, path.join(library, 'models'));
  await writeFile(path.join(library, 'build-info.json'), `${JSON.stringify({
    model: 'models/facegender.onnx',
    modelCard: hasModelCard ? 'models/MODEL_CARD.html' : null,
    featuresModel: featuresModel ? 'models/facegender-features.onnx' : null,
    cascade: `cascades/${FACE_CASCADE}`,
    detectors: { shortRange: `detectors/${DETECTOR_FILES[0]}`, fullRange: `detectors/${DETECTOR_FILES[1]}` },
    onnxruntimeWeb: ortVersion,
  }, null, 2)}\n`);
  const { detector = 'haar' } = readOnnxMetadata(new Uint8Array(await readFile(options.model)));
  await writeServiceWorker(options.out, detector);

  const files = (await readdir(options.out, { recursive: true })).length;
  console.log(`facegender web build: wrote ${options.out} (${files} entries, ${(bytes / 2 ** 20).toFixed(1)} MiB, ` +
    `${((bytes - compressed) / 2 ** 20).toFixed(1)} MiB gzipped; ` +
    `model ${options.model.startsWith(REPO + path.sep) ? path.relative(REPO, options.model) : options.model}` +
    `${hasModelCard ? ' + model card' : ''}${featuresModel ? ' + feature maps' : ''})`);
}

await main();
