// @ts-check
// What the review page knows of each photo and what a person decided, and
// which photos need a person first. Pure: no DOM, testable in node.
//
// A decision is a class name, AMBIGUOUS (kept for evaluation only, as the
// seed's ambiguous/ folder) or UNUSABLE (left out of every export).

import { AMBIGUOUS } from './folder.js';

export { AMBIGUOUS };
export const UNUSABLE = 'unusable';

/** The model contradicts a given label when it gives another class at least this probability. */
export const CONTRADICTS_AT = 0.9;
/** The model is unsure of a photo when its top probability is under this. */
export const UNSURE_BELOW = 0.8;

/**
 * @typedef {object} Photo
 * @property {number} index          place in the folder's path order
 * @property {string} path           relative to the opened folder
 * @property {number | null} given   given class index (folder or CSV), null: none
 * @property {boolean} givenAmbiguous
 * @property {string} note           why a given label was not understood
 * @property {boolean} scored        the worker has looked at it
 * @property {string} [sha256]
 * @property {'train' | 'val' | 'test'} [split]
 * @property {string} [error]        unreadable: why
 * @property {string} [issue]        the core's face check: none, no_face, several_faces, too_small, too_turned
 * @property {string} [detail]
 * @property {number[] | null} [probabilities]  the best face's, calibrated
 * @property {string | null} decision
 */

/** Whether the photo's faces do not make a clean training example (or it could not be read). */
export function isFlagged(/** @type {Photo} */ photo) {
  return Boolean(photo.error) || (photo.issue !== undefined && photo.issue !== 'none');
}

/**
 * The label the folder gave the photo: a class name, AMBIGUOUS or null.
 * @param {Photo} photo
 * @param {string[]} classNames
 */
function givenLabel(photo, classNames) {
  if (photo.givenAmbiguous) return AMBIGUOUS;
  return photo.given === null ? null : classNames[photo.given];
}

/**
 * The label the photo has now: the decision, else the given label; a class
 * name, AMBIGUOUS, UNUSABLE or null (none yet).
 * @param {Photo} photo
 * @param {string[]} classNames
 */
export function currentLabel(photo, classNames) {
  return photo.decision || givenLabel(photo, classNames);
}

/**
 * 'unreviewed' (no decision), 'confirmed' (the given label kept), 'changed'
 * (a decision other than the given label), 'labelled' (a class for a photo
 * that had none), 'ambiguous' or 'unusable'.
 * @param {Photo} photo
 * @param {string[]} classNames
 */
export function reviewState(photo, classNames) {
  const { decision } = photo;
  if (!decision) return 'unreviewed';
  if (decision === AMBIGUOUS || decision === UNUSABLE) return decision;
  const given = givenLabel(photo, classNames);
  if (given === null) return 'labelled';
  return decision === given ? 'confirmed' : 'changed';
}

/** The filters the page offers, each a predicate on (photo, classNames). */
export const FILTERS = Object.freeze({
  all: () => true,
  unreviewed: (/** @type {Photo} */ p) => !p.decision,
  changed: (/** @type {Photo} */ p, /** @type {string[]} */ c) => ['changed', 'labelled'].includes(reviewState(p, c)),
  ambiguous: (/** @type {Photo} */ p, /** @type {string[]} */ c) => currentLabel(p, c) === AMBIGUOUS,
  flagged: (/** @type {Photo} */ p) => isFlagged(p),
  unusable: (/** @type {Photo} */ p) => p.decision === UNUSABLE,
});

/**
 * How much the photo needs a person: {group, key}; lower first.
 * group 0: the model contradicts the given label (key: the model's
 * probability for the given label, lowest first); 1: the model is unsure
 * (key: its top probability); 2: no model opinion (no usable face, or
 * unreadable); 3: the rest (key: the model's probability for the label,
 * lowest first). Photos not yet scored come last (group 4).
 * @param {Photo} photo
 */
export function need(photo) {
  if (!photo.scored) return { group: 4, key: photo.index };
  const p = photo.probabilities;
  if (!p) return { group: 2, key: photo.index };
  const top = Math.max(...p);
  if (photo.given !== null && 1 - p[photo.given] >= CONTRADICTS_AT) return { group: 0, key: p[photo.given] };
  if (top < UNSURE_BELOW) return { group: 1, key: top };
  return { group: 3, key: photo.given !== null ? p[photo.given] : top };
}

/**
 * The photos in the order a person should see them (a new array).
 * @param {Photo[]} photos
 */
export function byNeed(photos) {
  const keyed = photos.map((photo) => ({ photo, need: need(photo) }));
  keyed.sort((a, b) => a.need.group - b.need.group || a.need.key - b.need.key || a.photo.index - b.photo.index);
  return keyed.map((k) => k.photo);
}

/**
 * One key per decision: 1..9 for the classes, also a class's first letter
 * when no other class and no command shares it; `a` ambiguous, `x` not
 * usable. Returns a Map from key to decision.
 * @param {string[]} classNames
 */
export function decisionKeys(classNames) {
  /** @type {Map<string, string>} */
  const keys = new Map([['a', AMBIGUOUS], ['x', UNUSABLE]]);
  classNames.slice(0, 9).forEach((name, i) => keys.set(String(i + 1), name));
  const reserved = new Set(['a', 'x', 'u', 'z', 'h', 'j', 'k', 'l']);
  for (const name of classNames) {
    const letter = name[0]?.toLowerCase();
    const shared = classNames.filter((other) => other[0]?.toLowerCase() === letter).length > 1;
    if (letter && !shared && !reserved.has(letter)) keys.set(letter, name);
  }
  return keys;
}

/**
 * Counts for the page's summary: photos, scored, per state, flagged.
 * @param {Photo[]} photos
 * @param {string[]} classNames
 */
export function tally(photos, classNames) {
  /** @type {Record<string, number>} */
  const counts = { photos: photos.length, scored: 0, unreadable: 0, flagged: 0, contradicted: 0, unsure: 0,
    unreviewed: 0, confirmed: 0, changed: 0, labelled: 0, ambiguous: 0, unusable: 0 };
  for (const photo of photos) {
    if (photo.scored) counts.scored += 1;
    if (photo.error) counts.unreadable += 1;
    if (isFlagged(photo)) counts.flagged += 1;
    const { group } = need(photo);
    if (group === 0) counts.contradicted += 1;
    if (group === 1) counts.unsure += 1;
    counts[reviewState(photo, classNames)] += 1;
  }
  return counts;
}
