#!/usr/bin/env node
// Builds the browser app into one self-contained static folder (default
// build/web/) that scripts/serve.mjs serves as it is:
//
//   node web/build.mjs [--out DIR] [--model FILE] [--wasm-build DIR] [--cascades DIR]
//
//   DIR/index.html, style.css, *.js      the page (web/)
//   DIR/core/facegender_wasm.{mjs,wasm}  the C++ core (build/wasm/wasm-client/)
//   DIR/inspector/facegender_inspector.{mjs,wasm}  the inspector (same folder),
//                                        loaded only when the user opens it
//   DIR/cascades/haarcascade_frontalface_default.json   (build/native/cascades/)
//   DIR/models/facegender.onnx           the model (models/facegender.onnx);
//                                        MODEL_CARD.md beside it when there is one
//   DIR/models/facegender-features.onnx  the model with its feature maps as extra
//                                        outputs, for the inspector, when
//                                        STEM-features.onnx is beside the model
//   DIR/ort/                             the ONNX Runtime Web files the page uses
//                                        (web/node_modules, `npm ci` in web/)
//
// Fails, with what to run, when an input is missing. Nothing is fetched from
// the network; the page loads only these files.

import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { readOnnxMetadata } from './onnx-metadata.js';

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(WEB_DIR);

// The page's own files (everything else in web/ is tooling or docs).
const PAGE_FILES = ['index.html', 'style.css', 'favicon.svg', 'app.js', 'pipeline.js', 'image-file.js',
  'onnx-metadata.js', 'inspector.js', 'classifier-client.js', 'classifier-worker.js'];

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

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const coreDir = path.join(options.wasmBuild, 'wasm-client');
  const ortDir = path.join(WEB_DIR, 'node_modules/onnxruntime-web/dist');

  // Every input first, so a failed build leaves the old folder alone.
  const copies = [];
  for (const name of PAGE_FILES) {
    copies.push([path.join(WEB_DIR, name), name, 'the page file is part of the checkout']);
  }
  for (const name of ['facegender_wasm.mjs', 'facegender_wasm.wasm']) {
    copies.push([path.join(coreDir, name), `core/${name}`,
      'build the wasm preset: NODE_PATH=/usr/share/nodejs cmake --preset wasm && cmake --build --preset wasm']);
  }
  for (const name of ['facegender_inspector.mjs', 'facegender_inspector.wasm']) {
    copies.push([path.join(coreDir, name), `inspector/${name}`,
      'build the wasm preset (it needs Dear ImGui\'s sources: scripts/setup.sh): ' +
      'NODE_PATH=/usr/share/nodejs cmake --preset wasm && cmake --build --preset wasm']);
  }
  copies.push([path.join(options.cascades, FACE_CASCADE), `cascades/${FACE_CASCADE}`,
    'build the native preset, which converts the cascades: cmake --preset native && cmake --build --preset native --target facegender_cascades']);
  const detectorDir = path.join(options.cascades, '..', 'detectors');
  for (const name of DETECTOR_FILES) {
    copies.push([path.join(detectorDir, name), `detectors/${name}`,
      'build the native preset, which converts MediaPipe\'s BlazeFace models: cmake --preset native && cmake --build --preset native --target facegender_detectors']);
  }
  copies.push([options.model, 'models/facegender.onnx',
    'no model to ship: train one (scripts/train-default-model.sh, or see native-trainer/README.md) or pass --model FILE (serve.sh: FACEGENDER_MODEL=FILE)']);
  for (const name of ORT_FILES) {
    copies.push([path.join(ortDir, name), `ort/${name}`, 'install the page\'s npm packages: (cd web && npm ci)']);
  }
  let bytes = 0;
  for (const [from, , hint] of copies) bytes += (await requireFile(from, hint)).size;
  const featuresModel = await checkFeaturesModel(options.model);
  if (featuresModel) {
    copies.push([featuresModel, 'models/facegender-features.onnx']);
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
    compressed += await writeGzipTwin(target);
  }
  // The page reads this to know what it was built with (and whether to link a model card).
  const { version: ortVersion } = JSON.parse(
    await readFile(path.join(WEB_DIR, 'node_modules/onnxruntime-web/package.json'), 'utf8'));
  if (hasModelCard) await copyFile(modelCard, path.join(options.out, 'models/MODEL_CARD.md'));
  await writeFile(path.join(options.out, 'build-info.json'), `${JSON.stringify({
    model: 'models/facegender.onnx',
    modelCard: hasModelCard ? 'models/MODEL_CARD.md' : null,
    featuresModel: featuresModel ? 'models/facegender-features.onnx' : null,
    cascade: `cascades/${FACE_CASCADE}`,
    detectors: { shortRange: `detectors/${DETECTOR_FILES[0]}`, fullRange: `detectors/${DETECTOR_FILES[1]}` },
    onnxruntimeWeb: ortVersion,
  }, null, 2)}\n`);

  const files = (await readdir(options.out, { recursive: true })).length;
  console.log(`facegender web build: wrote ${options.out} (${files} entries, ${(bytes / 2 ** 20).toFixed(1)} MiB, ` +
    `${((bytes - compressed) / 2 ** 20).toFixed(1)} MiB gzipped; ` +
    `model ${options.model.startsWith(REPO + path.sep) ? path.relative(REPO, options.model) : options.model}` +
    `${hasModelCard ? ' + model card' : ''}${featuresModel ? ' + feature maps' : ''})`);
}

await main();
