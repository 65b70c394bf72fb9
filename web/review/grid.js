// @ts-check
// The grid of face thumbnails, one page at a time, and the large view of
// one photo. Only the page in view is in the document, so a folder of
// 10,000 photos costs no more to draw than one of 60.

import { CONTRADICTS_AT, currentLabel, isFlagged, need, reviewState } from './decisions.js';

/** Tiles per page. */
export const PAGE_SIZE = 60;

/** @typedef {import('./decisions.js').Photo} Photo */

const ISSUE_TEXT = {
  // Turned faces are dropped only by `prepare --pose-filter`.
  no_face: 'no face', several_faces: 'several faces', too_small: 'face too small', too_turned: 'turned (pose filter)',
};

/**
 * What a tile says: the label now, the model's suggestion, a flag.
 * @param {Photo} photo
 * @param {string[]} classNames
 */
export function tileWords(photo, classNames) {
  const label = currentLabel(photo, classNames);
  const state = reviewState(photo, classNames);
  let model = photo.scored ? 'no model guess' : 'not read yet';
  if (photo.probabilities) {
    const top = photo.probabilities.indexOf(Math.max(...photo.probabilities));
    model = `${classNames[top]} ${(photo.probabilities[top] * 100).toFixed(1)}%`;
  }
  let flag = '';
  if (photo.error) flag = 'unreadable';
  else if (isFlagged(photo)) flag = ISSUE_TEXT[/** @type {keyof typeof ISSUE_TEXT} */ (photo.issue)] ?? String(photo.issue);
  const contradicted = need(photo).group === 0;
  return { label: label ?? 'no label', state, model, flag, contradicted };
}

export class ReviewGrid {
  /**
   * @param {HTMLOListElement} list
   * @param {(position: number) => void} onPick  a tile clicked: its position in the view
   */
  constructor(list, onPick) {
    this.list = list;
    list.addEventListener('click', (event) => {
      const tile = /** @type {HTMLElement} */ (event.target).closest('li[data-position]');
      if (tile) onPick(Number(/** @type {HTMLElement} */ (tile).dataset.position));
    });
  }

  /**
   * Draws the page holding `cursor` of `view`.
   * @param {Photo[]} view
   * @param {number} cursor
   * @param {string[]} classNames
   * @param {Map<number, string>} thumbs photo index -> thumbnail URL
   */
  render(view, cursor, classNames, thumbs) {
    const first = Math.floor(cursor / PAGE_SIZE) * PAGE_SIZE;
    const tiles = view.slice(first, first + PAGE_SIZE).map((photo, i) =>
      this.tile(photo, first + i, first + i === cursor, classNames, thumbs.get(photo.index)));
    this.list.replaceChildren(...tiles);
    const current = this.list.querySelector('li.current');
    if (current) {
      this.list.setAttribute('aria-activedescendant', current.id);
      current.scrollIntoView({ block: 'nearest' });
    } else {
      this.list.removeAttribute('aria-activedescendant');
    }
    return { first, last: Math.min(view.length, first + PAGE_SIZE) };
  }

  /**
   * @param {Photo} photo
   * @param {number} position
   * @param {boolean} isCurrent
   * @param {string[]} classNames
   * @param {string | undefined} thumb
   */
  tile(photo, position, isCurrent, classNames, thumb) {
    const words = tileWords(photo, classNames);
    const li = document.createElement('li');
    li.id = `tile-${position}`;
    li.dataset.position = String(position);
    li.dataset.state = words.state;
    li.setAttribute('role', 'option');
    li.setAttribute('aria-selected', String(isCurrent));
    li.className = [isCurrent ? 'current' : '', words.contradicted && words.state === 'unreviewed' ? 'contradicted' : '',
      words.flag ? 'flagged' : ''].filter(Boolean).join(' ');
    li.title = photo.path;
    const picture = document.createElement(thumb ? 'img' : 'span');
    picture.className = 'thumb';
    if (thumb) {
      /** @type {HTMLImageElement} */ (picture).src = thumb;
      /** @type {HTMLImageElement} */ (picture).alt = '';
    }
    const label = document.createElement('span');
    label.className = 'tile-label';
    label.textContent = words.state === 'unreviewed' ? words.label : `${words.label} · ${words.state}`;
    const model = document.createElement('span');
    model.className = 'tile-model';
    model.textContent = `model: ${words.model}`;
    // The path, for screen readers, as the first words of the option's name.
    const name = document.createElement('span');
    name.className = 'visually-hidden';
    name.textContent = `${photo.path}: `;
    li.append(name, picture, label, model);
    if (words.flag) {
      const flag = document.createElement('span');
      flag.className = 'tile-flag';
      flag.textContent = words.flag;
      li.append(flag);
    }
    return li;
  }
}

/**
 * The large view's words for a photo: title and details.
 * @param {Photo} photo
 * @param {string[]} classNames
 */
export function largeWords(photo, classNames) {
  const words = tileWords(photo, classNames);
  const parts = [`Label: ${words.label} (${words.state})`, `model: ${words.model}`];
  if (photo.probabilities) {
    parts.push(classNames.map((name, k) => `${name} ${((photo.probabilities?.[k] ?? 0) * 100).toFixed(1)}%`).join(', '));
  }
  if (photo.error) parts.push(`unreadable: ${photo.error}`);
  else if (photo.detail) parts.push(photo.detail);
  if (photo.split) parts.push(`split: ${photo.split}`);
  if (photo.given !== null && words.contradicted) {
    parts.push(`the model gives “${classNames[photo.given]}” under ${Math.round((1 - CONTRADICTS_AT) * 100)}%`);
  }
  if (photo.note) parts.push(photo.note);
  return { title: photo.path, text: parts.join(' · '), label: currentLabel(photo, classNames) };
}
