// @ts-check
// Opening a folder of photos: from a folder picker (File System Access,
// where the browser has it: the page may then also write its labels file
// into the folder) or a plain <input webkitdirectory>. Either gives a list
// of {path, file} relative to the folder, and the labels CSV's text when
// there is one.

import { REVIEW_LABELS_FILE, findLabelsCsv, pathInFolder } from './folder.js';

/**
 * @typedef {{path: string, file: File}} FolderFile
 * @typedef {{name: string, files: FolderFile[], csv: {name: string, text: string} | null,
 *            reviewed: string | null, handle: FileSystemDirectoryHandle | null}} OpenedFolder
 * reviewed: the text of the page's own labels.reviewed.csv in the folder, if any
 */

/** Whether this browser lets the page pick a folder it may write to. */
export function canPickFolder() {
  return typeof (/** @type {any} */ (globalThis).showDirectoryPicker) === 'function';
}

/**
 * The labels CSV's text among `files`, or null.
 * @param {FolderFile[]} files
 */
async function labelsCsvOf(files) {
  const name = findLabelsCsv(files.map((f) => f.path));
  const entry = name ? files.find((f) => f.path === name) : null;
  return entry ? { name: entry.path, text: await entry.file.text() } : null;
}

/**
 * The text of the page's own labels.reviewed.csv among `files`, or null.
 * @param {FolderFile[]} files
 */
async function reviewedOf(files) {
  const entry = files.find((f) => f.path === REVIEW_LABELS_FILE);
  return entry ? entry.file.text() : null;
}

/**
 * A folder from an <input type=file webkitdirectory>'s files.
 * @param {FileList | File[]} fileList
 * @returns {Promise<OpenedFolder>}
 */
export async function folderFromInput(fileList) {
  const list = Array.from(fileList);
  const files = list.map((file) => ({ path: pathInFolder(file.webkitRelativePath || file.name), file }));
  const name = (list[0]?.webkitRelativePath || '').split('/')[0] || 'the folder';
  return { name, files, csv: await labelsCsvOf(files), reviewed: await reviewedOf(files), handle: null };
}

/**
 * Every file under a directory handle, with paths relative to it; hidden
 * files and folders are skipped.
 * @param {FileSystemDirectoryHandle} dir
 * @param {string} prefix
 * @param {FolderFile[]} into
 * @param {(count: number) => void} onCount
 */
async function walk(dir, prefix, into, onCount) {
  for await (const [name, handle] of /** @type {any} */ (dir).entries()) {
    if (name.startsWith('.')) continue;
    const path = prefix ? `${prefix}/${name}` : name;
    if (handle.kind === 'directory') {
      await walk(handle, path, into, onCount);
    } else {
      into.push({ path, file: await handle.getFile() });
      if (into.length % 500 === 0) onCount(into.length);
    }
  }
  return into;
}

/**
 * A folder from a directory handle (the folder picker, or a test's).
 * @param {FileSystemDirectoryHandle} handle
 * @param {(count: number) => void} [onCount] called while listing a large folder
 * @returns {Promise<OpenedFolder>}
 */
export async function folderFromHandle(handle, onCount = () => {}) {
  const files = await walk(handle, '', [], onCount);
  return { name: handle.name, files, csv: await labelsCsvOf(files), reviewed: await reviewedOf(files), handle };
}

/**
 * Asks for the right to write into the folder (the browser asks the
 * visitor, once); true when granted.
 * @param {FileSystemDirectoryHandle} handle
 */
export async function mayWrite(handle) {
  const h = /** @type {any} */ (handle);
  if (typeof h.queryPermission !== 'function') return true;  // e.g. the origin-private file system
  if ((await h.queryPermission({ mode: 'readwrite' })) === 'granted') return true;
  try {
    return (await h.requestPermission({ mode: 'readwrite' })) === 'granted';
  } catch {
    return false;
  }
}

/**
 * Writes `text` to `name` in the folder: the browser writes a temporary
 * file and puts it in place when it is complete (createWritable), so the
 * file is never seen half written.
 * @param {FileSystemDirectoryHandle} dir
 * @param {string} name a path with '/' between folders, made as needed
 * @param {Blob | string} data
 */
export async function writeInto(dir, name, data) {
  const parts = name.split('/');
  let folder = dir;
  for (const part of parts.slice(0, -1)) folder = await folder.getDirectoryHandle(part, { create: true });
  const file = await folder.getFileHandle(/** @type {string} */ (parts.at(-1)), { create: true });
  const writable = await /** @type {any} */ (file).createWritable();
  try {
    await writable.write(data);
    await writable.close();
  } catch (error) {
    await writable.abort().catch(() => {});
    throw error;
  }
}
