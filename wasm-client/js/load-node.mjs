// Loads the facegender WebAssembly module under node (>= 16).
//
//   import { loadFaceGender } from './load-node.mjs';
//   const fg = await loadFaceGender('build/wasm/wasm-client/facegender_wasm.mjs');
//
// The module is an ES6 module built for web, worker and node. Emscripten
// 3.1.6's node support in ES6 output still uses CommonJS `require` and
// `__dirname`, and cannot read the .wasm from the file: URL it computes, so
// this provides both globals (when missing) and hands the module its bytes.
// Browsers and bundlers need none of this: `import createFaceGender from
// './facegender_wasm.mjs'; const fg = await createFaceGender();`.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export async function loadFaceGender(modulePath, moduleOverrides = {}) {
  const file = path.resolve(modulePath);
  if (globalThis.require === undefined) globalThis.require = createRequire(pathToFileURL(file));
  if (globalThis.__dirname === undefined) globalThis.__dirname = path.dirname(file);
  const wasmBinary = await readFile(file.replace(/\.m?js$/, '.wasm'));
  const { default: createFaceGender } = await import(pathToFileURL(file).href);
  return createFaceGender({ wasmBinary, ...moduleOverrides });
}
