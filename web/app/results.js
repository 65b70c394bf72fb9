// @ts-check
// The list of faces beside the picture: per face its number (as on the
// picture), its own crop as a thumbnail, its label and probabilities. A
// face's entry is a button: it selects the face (marked in the picture and
// shown by the inspector). Also what the "Download results" button saves.

/** @typedef {import('../facegender/facegender').Face} Face */
/** @typedef {import('../facegender/facegender').Result} Result */

const THUMB_CSS_PX = 56;

/**
 * A result as the JSON file the page offers for download: the picture's
 * name and size, the classes, and per face its number, box, keypoints,
 * label and calibrated probabilities. Pure.
 * @param {Result} result
 * @param {{name: string, backend: string, model: Record<string, unknown>}} about
 */
export function resultRecord(result, { name, backend, model }) {
  return {
    picture: { name, width: result.width, height: result.height },
    classNames: result.classNames,
    wholeImage: Boolean(result.wholeImage),
    faces: result.faces.map((f) => ({
      number: f.index + 1,
      box: f.box,
      score: f.score,
      keypoints: f.keypoints,
      label: f.label,
      probability: f.probability,
      probabilities: f.probabilities,
      text: f.text,
    })),
    timings: result.timings,
    backend,
    model,
  };
}

/**
 * One line per class for a screen reader and a tooltip: "female 97.3%, male 2.7%".
 * @param {Face} face
 */
export function probabilityText(face) {
  return Object.entries(face.probabilities).map(([name, p]) => `${name} ${(100 * p).toFixed(1)}%`).join(', ');
}

export class ResultsList {
  /**
   * @param {HTMLOListElement} list
   * @param {(index: number) => void} onSelect
   */
  constructor(list, onSelect) {
    this.list = list;
    this.onSelect = onSelect;
    this.selected = -1;
    list.addEventListener('click', (event) => {
      const button = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (event.target).closest('button[data-index]'));
      if (button) this.onSelect(Number(button.dataset.index));
    });
  }

  /**
   * Lists `faces`, each with its crop of `source` (the picture as classified).
   * @param {Face[]} faces
   * @param {CanvasImageSource} source
   * @param {{live: boolean}} options live: a video (not announced on every frame)
   */
  show(faces, source, { live }) {
    this.list.setAttribute('aria-live', live ? 'off' : 'polite');
    while (this.list.children.length > faces.length) this.list.lastElementChild?.remove();
    while (this.list.children.length < faces.length) this.list.append(this.makeItem());
    faces.forEach((face, i) => this.fill(/** @type {HTMLLIElement} */ (this.list.children[i]), face, source));
    this.mark(this.selected);
  }

  /** @param {number} index */
  mark(index) {
    this.selected = index;
    for (const button of this.list.querySelectorAll('button[data-index]')) {
      button.setAttribute('aria-pressed', String(Number(/** @type {HTMLElement} */ (button).dataset.index) === index));
    }
  }

  /** @private */
  makeItem() {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'face';
    const thumb = document.createElement('canvas');
    thumb.className = 'thumb';
    thumb.setAttribute('aria-hidden', 'true');
    const ratio = window.devicePixelRatio || 1;
    thumb.width = thumb.height = Math.round(THUMB_CSS_PX * ratio);
    const number = document.createElement('span');
    number.className = 'number';
    const label = document.createElement('span');
    label.className = 'label';
    const detail = document.createElement('span');
    detail.className = 'detail';
    button.append(thumb, number, label, detail);
    item.append(button);
    return item;
  }

  /**
   * @private
   * @param {HTMLLIElement} item @param {Face} face @param {CanvasImageSource} source
   */
  fill(item, face, source) {
    const button = /** @type {HTMLButtonElement} */ (item.firstElementChild);
    const [thumb, number, label, detail] = /** @type {HTMLElement[]} */ (Array.from(button.children));
    button.dataset.index = String(face.index);
    if (number.textContent !== String(face.index + 1)) number.textContent = String(face.index + 1);
    if (label.textContent !== face.text) label.textContent = face.text;
    const details = probabilityText(face);
    if (detail.textContent !== details) detail.textContent = details;
    drawThumb(/** @type {HTMLCanvasElement} */ (thumb), source, face.box);
  }
}

/**
 * The face's box of `source`, square, into the thumbnail canvas.
 * @param {HTMLCanvasElement} thumb @param {CanvasImageSource} source
 * @param {{x: number, y: number, width: number, height: number}} box
 */
function drawThumb(thumb, source, box) {
  const ctx = /** @type {CanvasRenderingContext2D} */ (thumb.getContext('2d'));
  const side = Math.max(box.width, box.height);
  const sx = box.x + box.width / 2 - side / 2;
  const sy = box.y + box.height / 2 - side / 2;
  ctx.fillStyle = '#808080';
  ctx.fillRect(0, 0, thumb.width, thumb.height);
  ctx.drawImage(source, sx, sy, side, side, 0, 0, thumb.width, thumb.height);
}
