// @ts-check
// The browser side's own settings, in a module without the core, so the
// page's main thread can read them without loading the WebAssembly glue.
// The face finder's and the crop's settings are the core's presets
// (pipeline.hpp, face_finder.hpp), never repeated here.

/** Face search for photos: no padding, detection on a copy at most 640 px long. */
export const PHOTO_SEARCH = Object.freeze({ scaleFactor: 1.1, minNeighbors: 5, minSize: 0, padFraction: 0, maxSide: 640 });
/** Face search for webcam frames: smaller detection copy, for the frame rate. */
export const CAMERA_SEARCH = Object.freeze({ ...PHOTO_SEARCH, maxSide: 320 });
/**
 * Webcam frames between full searches follow each face in a small window
 * (the core's FaceTracker): a full search every 6 frames, 0.2 s at 30 fps.
 */
export const CAMERA_TRACKING = Object.freeze({ fullSearchEvery: 6, window: 2.0, facePixels: 36 });

/** The backends a page can ask for: 'auto' is WebGPU when there is an adapter, else WASM. */
export const BACKEND_CHOICES = Object.freeze(['auto', 'webgpu', 'wasm']);
/**
 * Inference threads for ONNX Runtime's WebAssembly backend: several only when
 * the page is cross-origin isolated (threads need SharedArrayBuffer), half the
 * device's cores (the face search, video and drawing need the rest), at most
 * 4. On a 2-core machine one thread gave 28-31 webcam frames/s and two 26
 * (docs/BENCHMARKS.md).
 */
export function defaultOrtThreads() {
  if (!globalThis.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, Math.floor((navigator.hardwareConcurrency || 1) / 2)));
}
