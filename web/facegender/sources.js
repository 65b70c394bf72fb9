// @ts-check
// Pixels from whatever a page hands the library: an image element, a bitmap,
// a canvas, ImageData, a Blob or File, a video element or a VideoFrame. Each
// becomes RGBA bytes at most MAX_SIDE pixels long (larger pictures are scaled
// down, as photos are), drawn on one reusable canvas.

import { FaceGenderError } from './errors.js';
import { MAX_SIDE, decodeImageFile } from './image-file.js';

/** @typedef {{rgba: Uint8ClampedArray, width: number, height: number, originalWidth: number, originalHeight: number, scaled: boolean, name: string, decodeMs: number, captureMs: number}} Pixels */

/** A 2D canvas for reading pixels back: offscreen where the browser has it. */
export function makeCaptureCanvas() {
  const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
  return { canvas, context };
}

/**
 * Draws `source` at width x height into `capture` and returns its RGBA bytes.
 * @param {{canvas: HTMLCanvasElement | OffscreenCanvas, context: CanvasRenderingContext2D}} capture
 * @param {CanvasImageSource} source
 * @param {number} width
 * @param {number} height
 */
export function drawPixels(capture, source, width, height) {
  const { canvas, context } = capture;
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  context.clearRect(0, 0, width, height);
  context.drawImage(source, 0, 0, width, height);
  return context.getImageData(0, 0, width, height).data;
}

/**
 * The intrinsic size of a drawable source; null when it has no picture yet,
 * undefined when it is not something the library can draw.
 * @param {any} source
 * @returns {{width: number, height: number} | null | undefined}
 */
function intrinsicSize(source) {
  if (typeof HTMLVideoElement === 'function' && source instanceof HTMLVideoElement) {
    return source.readyState >= 2 && source.videoWidth > 0 ? { width: source.videoWidth, height: source.videoHeight } : null;
  }
  if (typeof HTMLImageElement === 'function' && source instanceof HTMLImageElement) {
    return source.naturalWidth > 0 ? { width: source.naturalWidth, height: source.naturalHeight } : null;
  }
  if (typeof VideoFrame === 'function' && source instanceof VideoFrame) {
    return { width: source.displayWidth, height: source.displayHeight };
  }
  const drawable = [globalThis.ImageBitmap, globalThis.HTMLCanvasElement, globalThis.OffscreenCanvas,
    globalThis.SVGImageElement].some((type) => typeof type === 'function' && source instanceof type);
  if (drawable) {
    const width = source.width?.baseVal?.value ?? source.width;
    const height = source.height?.baseVal?.value ?? source.height;
    return width > 0 && height > 0 ? { width, height } : null;
  }
  return undefined;
}

/** @param {number} width @param {number} height */
function fitted(width, height) {
  const long = Math.max(width, height);
  if (long <= MAX_SIDE) return { width, height, scaled: false };
  const scale = MAX_SIDE / long;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scaled: true };
}

/** @param {any} source */
function describeSource(source) {
  if (source === null || source === undefined) return String(source);
  return source?.constructor?.name ?? typeof source;
}

/** @param {ImageData} image @returns {Pixels | null} */
function fromImageData(image) {
  const { width, height } = image;
  if (Math.max(width, height) <= MAX_SIDE) {
    return { rgba: image.data, width, height, originalWidth: width, originalHeight: height, scaled: false,
      name: 'the image', decodeMs: 0, captureMs: 0 };
  }
  return null;  // drawn and scaled like any bitmap
}

/**
 * RGBA pixels of `source`; rejects with a FaceGenderError: code 'image' for
 * a file that is not a usable image, 'source' for something that is not a
 * picture (or a video or image with no frame yet).
 * @param {any} source
 * @param {ReturnType<typeof makeCaptureCanvas>} capture
 * @returns {Promise<Pixels>}
 */
export async function pixelsOf(source, capture) {
  const t0 = performance.now();
  if (typeof Blob === 'function' && source instanceof Blob) {
    const decoded = await decodeImageFile(source);
    const t1 = performance.now();
    try {
      const rgba = drawPixels(capture, decoded.bitmap, decoded.width, decoded.height);
      return { rgba, width: decoded.width, height: decoded.height, originalWidth: decoded.originalWidth,
        originalHeight: decoded.originalHeight, scaled: decoded.scaled,
        name: /** @type {File} */ (source).name || 'the pasted image', decodeMs: t1 - t0, captureMs: performance.now() - t1 };
    } finally {
      decoded.bitmap.close();
    }
  }
  if (typeof ImageData === 'function' && source instanceof ImageData) {
    const direct = fromImageData(source);
    if (direct) return direct;
    source = await createImageBitmap(source);
  }
  if (typeof HTMLImageElement === 'function' && source instanceof HTMLImageElement && !source.complete) {
    await source.decode().catch(() => {
      throw new FaceGenderError('image', `the image “${source.currentSrc || source.src}” could not be decoded`);
    });
  }
  const size = intrinsicSize(source);
  if (size === undefined) {
    throw new FaceGenderError('source', 'classify() takes an image element, ImageBitmap, canvas, ImageData, ' +
      `Blob or File, video element or VideoFrame; got ${describeSource(source)}`);
  }
  if (size === null) {
    throw new FaceGenderError('source', `the ${describeSource(source)} has no picture yet (not loaded, or no video frame)`);
  }
  const { width, height, scaled } = fitted(size.width, size.height);
  const rgba = drawPixels(capture, source, width, height);
  return { rgba, width, height, originalWidth: size.width, originalHeight: size.height, scaled,
    name: 'the image', decodeMs: 0, captureMs: performance.now() - t0 };
}
