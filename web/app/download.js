// @ts-check
// Saving a file the page made (a picture, results, labels) as a download:
// the bytes stay on this device.

/**
 * Offers `blob` as a download named `fileName`.
 * @param {Blob} blob
 * @param {string} fileName
 */
export function saveBlob(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
