// @ts-check
// What the review page exports, in the forms `facegender prepare` reads:
//
//   labels CSV   path,label,sha256,review — path relative to the opened
//                folder (save the file there), label a class name or
//                "ambiguous" (prepare --labels FILE --label-column label
//                --ambiguous-label ambiguous --classes <the model's>), sha256 checked by
//                prepare, review what happened to the label (given,
//                confirmed, changed, labelled, ambiguous). Photos decided
//                "not usable", unreadable or with no label are left out.
//   seed layout  Train/<class>/NAME, Eval/<class>/NAME, ambiguous/NAME, by
//                the project's split rule on the photo's SHA-256 (test ->
//                Eval; train and val -> Train, where prepare takes val out
//                by the same rule).
// Pure: no DOM, testable in node.

import { csvFormat } from 'd3-dsv';

import { AMBIGUOUS, UNUSABLE, currentLabel, reviewState } from './decisions.js';

/** @typedef {import('./decisions.js').Photo} Photo */

export const CSV_COLUMNS = ['path', 'label', 'sha256', 'review'];

/**
 * The rows of the labels CSV, in path order, and how many photos were left
 * out and why: {rows, left: {unusable, unreadable, unlabelled}}.
 * @param {Photo[]} photos
 * @param {string[]} classNames
 */
export function labelRows(photos, classNames) {
  const rows = [];
  const left = { unusable: 0, unreadable: 0, unlabelled: 0 };
  for (const photo of [...photos].sort((a, b) => a.index - b.index)) {
    const label = currentLabel(photo, classNames);
    if (label === UNUSABLE) left.unusable += 1;
    else if (photo.error || (photo.scored && !photo.sha256)) left.unreadable += 1;
    else if (label === null) left.unlabelled += 1;
    else {
      const state = reviewState(photo, classNames);
      rows.push({ path: photo.path, label, sha256: photo.sha256 ?? '', review: state === 'unreviewed' ? 'given' : state });
    }
  }
  return { rows, left };
}

/**
 * The labels CSV's text for rows from labelRows.
 * @param {ReturnType<typeof labelRows>['rows']} rows
 */
export function formatLabelRows(rows) {
  return `${csvFormat(rows, CSV_COLUMNS)}\n`;
}

/**
 * The labels CSV's text.
 * @param {Photo[]} photos
 * @param {string[]} classNames
 */
export function labelsCsv(photos, classNames) {
  return formatLabelRows(labelRows(photos, classNames).rows);
}

/**
 * Where each exported photo goes in the seed's layout: [{photo, target}],
 * names kept, a clash within a folder resolved by prefixing the first 8 hex
 * digits of the photo's SHA-256. Needs every photo's split and SHA-256.
 * @param {Photo[]} photos
 * @param {string[]} classNames
 */
export function seedLayoutPlan(photos, classNames) {
  const byPath = new Map(photos.map((p) => [p.path, p]));
  const used = new Set();
  const plan = [];
  for (const row of labelRows(photos, classNames).rows) {
    const photo = /** @type {Photo} */ (byPath.get(row.path));
    const folder = row.label === AMBIGUOUS ? AMBIGUOUS : `${photo.split === 'test' ? 'Eval' : 'Train'}/${row.label}`;
    const name = /** @type {string} */ (row.path.split('/').pop());
    let target = `${folder}/${name}`;
    if (used.has(target.toLowerCase())) target = `${folder}/${row.sha256.slice(0, 8)}-${name}`;
    used.add(target.toLowerCase());
    plan.push({ photo, target });
  }
  return plan;
}
