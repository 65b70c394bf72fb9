#!/usr/bin/env node
// Builds the browser app into one self-contained static folder (default
// build/web/) that scripts/serve.mjs serves as it is:
//
//   node web/build.mjs [--out DIR] [--model FILE] [--wasm-build DIR] [--cascades DIR]
//
//   DIR/index.html, style.css, *.js      the page (web/)
//   DIR/core/facegender_wasm.{mjs,wasm}  the C++ core (build/wasm/wasm-client/)
//   DIR/cascades/haarcascade_frontalface_default.json   (build/native/cascades/)
//   DIR/models/facegender.onnx           the model (models/facegender.onnx);
//                                        MODEL_CARD.md beside it when there is one
//   DIR/ort/                             the ONNX Runtime Web files the page uses
//                                        (web/node_modules, `npm ci` in web/)
//
// Fails, with what to run, when an input is missing. Nothing is fetched from
// the network; the page loads only these files.

import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(WEB_DIR);

// The page's own files (everything else in web/ is tooling or docs).
const PAGE_FILES = ['index.html', 'style.css', 'favicon.svg', 'app.js', 'pipeline.js', 'image-file.js',
  'onnx-metadata.js'];

// ONNX Runtime Web: the WebGPU build also runs the WASM (CPU) backend, so one
// bundle serves both; it loads its Emscripten glue and binary from wasmPaths.
const ORT_FILES = ['ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm'];

const FACE_CASCADE = 'haarcascade_frontalface_default.json';

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
  copies.push([path.join(options.cascades, FACE_CASCADE), `cascades/${FACE_CASCADE}`,
    'build the native preset, which converts the cascades: cmake --preset native && cmake --build --preset native --target facegender_cascades']);
  copies.push([options.model, 'models/facegender.onnx',
    'no model to ship: train one (scripts/train-default-model.sh, or see native-trainer/README.md) or pass --model FILE (serve.sh: FACEGENDER_MODEL=FILE)']);
  for (const name of ORT_FILES) {
    copies.push([path.join(ortDir, name), `ort/${name}`, 'install the page\'s npm packages: (cd web && npm ci)']);
  }
  let bytes = 0;
  for (const [from, , hint] of copies) bytes += (await requireFile(from, hint)).size;

  const modelCard = path.join(path.dirname(options.model), 'MODEL_CARD.md');
  const hasModelCard = await exists(modelCard);

  await rm(options.out, { recursive: true, force: true });
  for (const [from, to] of copies) {
    const target = path.join(options.out, to);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(from, target);
  }
  // The page reads this to know what it was built with (and whether to link a model card).
  const { version: ortVersion } = JSON.parse(
    await readFile(path.join(WEB_DIR, 'node_modules/onnxruntime-web/package.json'), 'utf8'));
  if (hasModelCard) await copyFile(modelCard, path.join(options.out, 'models/MODEL_CARD.md'));
  await writeFile(path.join(options.out, 'build-info.json'), `${JSON.stringify({
    model: 'models/facegender.onnx',
    modelCard: hasModelCard ? 'models/MODEL_CARD.md' : null,
    cascade: `cascades/${FACE_CASCADE}`,
    onnxruntimeWeb: ortVersion,
  }, null, 2)}\n`);

  const files = (await readdir(options.out, { recursive: true })).length;
  console.log(`facegender web build: wrote ${options.out} (${files} entries, ${(bytes / 2 ** 20).toFixed(1)} MiB; ` +
    `model ${options.model.startsWith(REPO + path.sep) ? path.relative(REPO, options.model) : options.model}` +
    `${hasModelCard ? ' + model card' : ''})`);
}

await main();
