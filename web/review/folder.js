// @ts-check
// What a folder of photos says about its labels, from its file paths alone
// (and its labels CSV, when it has one), in the three layouts `facegender
// prepare` reads:
//
//   seed layout   Train/<class>/..., Eval/<class>/..., ambiguous/... (a
//                 folder `ambiguous` anywhere marks an eval-only photo)
//   labels CSV    labels.csv (or the folder's only CSV with a `path` column):
//                 path,<label column>[,sha256]; the label column is `label`,
//                 else `gender`; a label is a class name or its index
//   flat          any other folder: new photos, no labels
//
// Class folders and labels are matched to the model's class names: by name
// (any case) or by index ("0", "1"). Pure: no DOM, testable in node.

import { csvParseRows } from 'd3-dsv';

/** The file the review page writes its decisions to, never read as given labels. */
export const REVIEW_LABELS_FILE = 'labels.reviewed.csv';
/** The label of eval-only photos in exported CSVs (`prepare --ambiguous-label ambiguous`). */
export const AMBIGUOUS = 'ambiguous';

const IMAGE_EXTENSIONS = /\.(jpe?g|png|gif|webp|bmp|avif)$/i;

/**
 * @typedef {{path: string, given: number | null, givenAmbiguous: boolean, note: string}} Labelled
 * One photo: its path relative to the opened folder, its given class index
 * (null: none), whether it was marked ambiguous, and why a label was not
 * understood ('' when it was).
 */

/**
 * The path under the folder the visitor picked: a folder input's
 * webkitRelativePath starts with the picked folder's own name.
 * @param {string} relativePath
 */
export function pathInFolder(relativePath) {
  const parts = relativePath.split('/').filter(Boolean);
  return parts.length > 1 ? parts.slice(1).join('/') : parts.join('/');
}

/** @param {string} path */
export function isImagePath(path) {
  const name = path.split('/').pop() ?? '';
  return IMAGE_EXTENSIONS.test(name) && !name.startsWith('.');
}

/**
 * A class index from a folder name or CSV label: the class name in any case,
 * or its index as a number; null when it is neither.
 * @param {string} value
 * @param {string[]} classNames
 */
export function classOf(value, classNames) {
  const text = value.trim();
  const byName = classNames.findIndex((name) => name.toLowerCase() === text.toLowerCase());
  if (byName >= 0) return byName;
  if (/^\d+$/.test(text) && Number(text) < classNames.length) return Number(text);
  return null;
}

/**
 * The labels CSV among the folder's files (paths relative to it): labels.csv,
 * else the only other CSV at the top; never the review's own file.
 * @param {string[]} paths
 */
export function findLabelsCsv(paths) {
  const top = paths.filter((p) => !p.includes('/') && /\.csv$/i.test(p) && p !== REVIEW_LABELS_FILE);
  if (top.includes('labels.csv')) return 'labels.csv';
  return top.length === 1 ? top[0] : null;
}

/**
 * Whether the paths are in the seed's layout (a top folder Train, Eval or
 * ambiguous, in any case).
 * @param {string[]} paths
 */
export function isSeedLayout(paths) {
  return paths.some((p) => /^(train|eval|ambiguous)\//i.test(p));
}

/**
 * A photo's labels from its place in the seed's layout.
 * @param {string} path
 * @param {string[]} classNames
 * @returns {Labelled}
 */
export function seedLabel(path, classNames) {
  const dirs = path.split('/').slice(0, -1);
  const ambiguous = dirs.some((d) => d.toLowerCase() === AMBIGUOUS);
  const top = dirs[0]?.toLowerCase();
  const classDir = (top === 'train' || top === 'eval') ? dirs[1] : undefined;
  if (classDir === undefined || classDir.toLowerCase() === AMBIGUOUS) {
    return { path, given: null, givenAmbiguous: ambiguous, note: ambiguous ? '' : 'not in a class folder' };
  }
  const given = classOf(classDir, classNames);
  return { path, given, givenAmbiguous: ambiguous,
    note: given === null ? `class folder "${classDir}" is not one of the model's classes (${classNames.join(', ')})` : '' };
}

/**
 * A CSV's column names (trimmed) and its rows as objects by column name,
 * blank lines skipped; a leading byte-order mark is ignored.
 * @param {string} text
 * @returns {{columns: string[], rows: Record<string, string>[]}}
 */
function csvRecords(text) {
  // csvParseRows, not csvParse: the latter compiles a function per header,
  // which the page's Content-Security-Policy (no eval) forbids.
  const [header = [], ...records] = csvParseRows(text.replace(/^\uFEFF/, ''));
  const columns = header.map((name) => name.trim());
  const rows = records.filter((r) => r.length > 1 || r[0] !== '')
    .map((r) => Object.fromEntries(columns.map((name, i) => [name, r[i] ?? ''])));
  return { columns, rows };
}

/**
 * The given labels a CSV holds, by path: {labels: Map path -> Labelled,
 * column, problems}. Throws an Error naming the file when it has no `path`
 * column or no label column.
 * @param {string} text
 * @param {string} fileName
 * @param {string[]} classNames
 */
export function csvLabels(text, fileName, classNames) {
  const { columns, rows } = csvRecords(text);
  if (!columns.includes('path')) {
    throw new Error(`${fileName}: no "path" column (columns: ${columns.join(', ') || 'none'})`);
  }
  const column = ['label', 'gender'].find((name) => columns.includes(name));
  if (!column) throw new Error(`${fileName}: no "label" or "gender" column (columns: ${columns.join(', ')})`);
  /** @type {Map<string, Labelled>} */
  const labels = new Map();
  let problems = 0;
  rows.forEach((row, i) => {
    const path = (row.path ?? '').trim();
    if (!path) {
      problems += 1;
      return;
    }
    const value = (row[column] ?? '').trim();
    const ambiguous = value.toLowerCase() === AMBIGUOUS;
    const given = ambiguous ? null : classOf(value, classNames);
    const note = ambiguous || given !== null ? ''
      : `${fileName} line ${i + 2}: label "${value}" is not one of the model's classes (${classNames.join(', ')})`;
    if (note) problems += 1;
    labels.set(path, { path, given, givenAmbiguous: ambiguous, note });
  });
  return { labels, column, problems };
}

/**
 * Every photo of a folder with its given labels, in path order.
 * `paths`: the folder's files, relative to it; `csvText`: the labels CSV's
 * text when findLabelsCsv named one. Returns {layout: 'seed' | 'csv' |
 * 'flat', csv, photos, problems} (problems: labels not understood).
 * @param {string[]} paths
 * @param {string[]} classNames
 * @param {{name: string, text: string} | null} [csv]
 */
export function readLayout(paths, classNames, csv = null) {
  const images = paths.filter(isImagePath).sort();
  if (csv) {
    const { labels, problems } = csvLabels(csv.text, csv.name, classNames);
    const photos = images.map((path) => labels.get(path) ??
      { path, given: null, givenAmbiguous: false, note: `not in ${csv.name}` });
    return { layout: 'csv', csv: csv.name, photos, problems };
  }
  if (isSeedLayout(images)) {
    const photos = images.map((path) => seedLabel(path, classNames));
    return { layout: 'seed', csv: null, photos, problems: photos.filter((p) => p.note).length };
  }
  const photos = images.map((path) => ({ path, given: null, givenAmbiguous: false, note: '' }));
  return { layout: 'flat', csv: null, photos, problems: 0 };
}

/** The `review` values of decisions a person made (the rest are labels as given). */
const DECIDED = new Set(['confirmed', 'changed', 'labelled', 'ambiguous']);

/**
 * The decisions in a labels.reviewed.csv the page wrote earlier, by SHA-256:
 * what brings them back when this browser's storage was cleared. Rows
 * without a SHA-256, with a label that is neither a class nor "ambiguous", or
 * that only repeat a given label are not decisions. Returns an empty Map for
 * a file without the page's columns.
 * @param {string} text
 * @param {string[]} classNames
 */
export function reviewedDecisions(text, classNames) {
  const { columns, rows } = csvRecords(text);
  /** @type {Map<string, string>} */
  const decisions = new Map();
  if (!['label', 'sha256', 'review'].every((name) => columns.includes(name))) return decisions;
  for (const row of rows) {
    const [label, sha256, review] = [row.label, row.sha256, row.review].map((v) => v.trim());
    const known = label === AMBIGUOUS || classNames.includes(label);
    if (/^[0-9a-f]{64}$/.test(sha256) && known && DECIDED.has(review)) decisions.set(sha256, label);
  }
  return decisions;
}
