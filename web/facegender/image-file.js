// @ts-check
// Turns a user's file (upload, drop or paste) into an ImageBitmap the page
// can work on, or a message for the user that says what is wrong with it.
//
// * The format is read from the first bytes, not from the name or the type
//   the browser guessed from the name (a text file called photo.jpg is text).
// * The size is read from the header before decoding, so a huge image is
//   refused without being decoded; the decoded size is checked again.
// * Decoding uses the browser (createImageBitmap) with the EXIF orientation
//   applied and no colour-space conversion.
// * Images longer than maxSide are scaled down (after orientation), so the
//   canvas stays within what every browser supports.

import { FaceGenderError } from './errors.js';

export const MAX_PIXELS = 100_000_000;
export const MAX_SIDE = 4096;

/** A file that is not a usable image: a FaceGenderError of code 'image'. */
function imageError(message) {
  return new FaceGenderError('image', message);
}

const FORMAT_NAMES = {
  jpeg: 'JPEG', png: 'PNG', gif: 'GIF', webp: 'WebP', bmp: 'BMP', avif: 'AVIF', ico: 'ICO',
};
const SUPPORTED = 'JPEG, PNG, GIF, WebP, BMP or AVIF';

function ascii(bytes, start, length) {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

/** The image format from the file's first bytes, or null. */
export function sniffFormat(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && ascii(bytes, 1, 3) === 'PNG' && bytes[0] === 0x89 &&
      bytes[4] === 0x0d && bytes[5] === 0x0a && bytes[6] === 0x1a && bytes[7] === 0x0a) return 'png';
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  if (bytes.length >= 26 && ascii(bytes, 0, 2) === 'BM') return 'bmp';
  if (bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp' &&
      ['avif', 'avis'].includes(ascii(bytes, 8, 4))) return 'avif';
  if (bytes.length >= 6 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 1 && bytes[3] === 0 &&
      (bytes[4] | bytes[5]) !== 0) return 'ico';
  return null;
}

function jpegSize(b) {
  let pos = 2;
  while (pos + 4 <= b.length) {
    if (b[pos] !== 0xff) return null;
    const marker = b[pos + 1];
    if (marker === 0xff) { pos += 1; continue; }  // fill byte
    pos += 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;  // no length
    if (marker === 0xd9 || marker === 0xda) return null;  // end, or scan before a frame header
    const length = (b[pos] << 8) | b[pos + 1];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (pos + 7 > b.length) return null;
      return { width: (b[pos + 5] << 8) | b[pos + 6], height: (b[pos + 3] << 8) | b[pos + 4] };
    }
    pos += length;
  }
  return null;
}

/** Width and height from the header ({width, height}), or null when unknown. */
export function headerSize(bytes, format) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    switch (format) {
      case 'jpeg': return jpegSize(bytes);
      case 'png': return { width: view.getUint32(16), height: view.getUint32(20) };
      case 'gif': return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
      case 'bmp': {
        if (view.getUint32(14, true) === 12) return { width: view.getUint16(18, true), height: view.getUint16(20, true) };
        return { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
      }
      case 'webp': {
        const chunk = ascii(bytes, 12, 4);
        if (chunk === 'VP8 ') return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
        if (chunk === 'VP8L') {
          const bits = view.getUint32(21, true);
          return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
        }
        if (chunk === 'VP8X') {
          const u24 = (at) => bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
          return { width: u24(24) + 1, height: u24(27) + 1 };
        }
        return null;
      }
      default: return null;
    }
  } catch {
    return null;  // header shorter than it says: the decoder will tell
  }
}

function megapixels(width, height) {
  return (width * height / 1e6).toFixed(width * height < 1e7 ? 1 : 0);
}

function tooLarge(name, width, height, maxPixels) {
  return imageError(
    `“${name}” is ${width}×${height} pixels (${megapixels(width, height)} megapixels); this page accepts ` +
    `images up to ${Math.round(maxPixels / 1e6)} megapixels. Please choose a smaller copy.`);
}

/**
 * Decodes an image file. Resolves to {bitmap, width, height, originalWidth,
 * originalHeight, format, scaled}; rejects with a FaceGenderError (code "image") when the
 * file is empty, not an image, damaged or too large.
 */
export async function decodeImageFile(file, { maxPixels = MAX_PIXELS, maxSide = MAX_SIDE } = {}) {
  const name = file.name || 'The pasted image';
  if (file.size === 0) throw imageError(`“${name}” is empty (0 bytes): there is no image in it.`);
  const head = new Uint8Array(await file.slice(0, 1 << 20).arrayBuffer());
  const format = sniffFormat(head);
  if (format === null) {
    throw imageError(`“${name}” is not an image this page can read. Please choose a ${SUPPORTED} file.`);
  }
  const size = headerSize(head, format);
  if (size && size.width * size.height > maxPixels) throw tooLarge(name, size.width, size.height, maxPixels);

  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', colorSpaceConversion: 'none' });
  } catch {
    throw imageError(
      `“${name}” looks like a ${FORMAT_NAMES[format]} image but could not be decoded: it may be damaged or ` +
      'incomplete (cut off while copying or downloading).');
  }
  const originalWidth = bitmap.width;
  const originalHeight = bitmap.height;
  if (originalWidth === 0 || originalHeight === 0) {
    bitmap.close();
    throw imageError(`“${name}” has no pixels.`);
  }
  if (originalWidth * originalHeight > maxPixels) {
    bitmap.close();
    throw tooLarge(name, originalWidth, originalHeight, maxPixels);
  }
  const longSide = Math.max(originalWidth, originalHeight);
  if (longSide <= maxSide) {
    return { bitmap, width: originalWidth, height: originalHeight, originalWidth, originalHeight, format, scaled: false };
  }
  const scale = maxSide / longSide;
  const width = Math.max(1, Math.round(originalWidth * scale));
  const height = Math.max(1, Math.round(originalHeight * scale));
  try {
    const scaledBitmap = await createImageBitmap(bitmap, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
    return { bitmap: scaledBitmap, width, height, originalWidth, originalHeight, format, scaled: true };
  } catch {
    throw imageError(`“${name}” (${originalWidth}×${originalHeight}) is too large for this browser to scale down.`);
  } finally {
    bitmap.close();
  }
}
