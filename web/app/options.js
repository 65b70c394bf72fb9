// @ts-check
// The page's URL options, read once:
//   ?backend=auto|webgpu|wasm   the first backend (as the Backend menu)
//   ?threads=N                  ONNX Runtime's WebAssembly threads (1..16)
//   ?no-offline                 no service worker (nothing cached for offline use)

import { BACKEND_CHOICES } from '../facegender/facegender.js';

const params = new URLSearchParams(window.location.search);

/** @returns {'auto' | 'webgpu' | 'wasm'} */
export function requestedBackend() {
  const wanted = params.get('backend') ?? 'auto';
  return /** @type {any} */ (BACKEND_CHOICES.includes(/** @type {any} */ (wanted)) ? wanted : 'auto');
}

/** @returns {number | undefined} undefined: the library's default */
export function requestedThreads() {
  const threads = Number(params.get('threads'));
  return Number.isInteger(threads) && threads >= 1 && threads <= 16 ? threads : undefined;
}

export const offlineWanted = !params.has('no-offline');
