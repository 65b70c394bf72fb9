// @ts-check
// Where each face's tag goes on the picture, so tags never cover each other
// and never leave the picture. A tag is the face's number and label
// ("1 female 97.3%"); where that does not fit without overlap, only the
// number ("1"), which the list beside the picture explains. Pure: tested
// with node:test (tests/web/layout_test.mjs).

/** @typedef {{x: number, y: number, width: number, height: number}} Rect */
/** @typedef {{x: number, y: number, width: number, height: number, text: string, short: boolean, overlaps: boolean}} Tag */

/** @param {Rect} a @param {Rect} b */
export function overlap(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * Candidate places for a tag of size w x h at `box`: above it, inside its top,
 * below it, inside its bottom; each slid sideways to stay in the picture.
 * @param {Rect} box @param {number} w @param {number} h @param {number} width @param {number} height
 * @returns {Rect[]}
 */
function candidates(box, w, h, width, height) {
  const x = Math.min(Math.max(0, box.x), Math.max(0, width - w));
  const ys = [box.y - h, box.y, box.y + box.height, box.y + box.height - h];
  return ys.map((y) => ({ x, y: Math.min(Math.max(0, y), Math.max(0, height - h)), width: w, height: h }))
    .filter((r) => r.x + r.width <= width + 0.5 && r.y + r.height <= height + 0.5);
}

/**
 * Tags for `faces` (each {box, text}) in a width x height picture, in the
 * faces' order. measure(text) gives a tag's width in pixels; every tag is
 * `tagHeight` high. A tag marked `overlaps` could be placed nowhere free
 * (more faces than room): it is the number alone, at the box's corner.
 * @param {{box: Rect, text: string}[]} faces
 * @param {{width: number, height: number, tagHeight: number, measure: (text: string) => number}} options
 * @returns {Tag[]}
 */
export function layoutTags(faces, { width, height, tagHeight, measure }) {
  /** @type {Rect[]} */
  const placed = [];
  return faces.map((face, i) => {
    const number = String(i + 1);
    const options = [{ text: `${number} ${face.text}`, short: false }, { text: number, short: true }];
    for (const option of options) {
      const w = measure(option.text);
      const spot = candidates(face.box, w, tagHeight, width, height).find((r) => !placed.some((p) => overlap(r, p)));
      if (spot) {
        placed.push(spot);
        return { ...spot, ...option, overlaps: false };
      }
    }
    const w = measure(number);
    const spot = candidates(face.box, w, tagHeight, width, height)[1] ??
      { x: Math.max(0, face.box.x), y: Math.max(0, face.box.y), width: w, height: tagHeight };
    placed.push(spot);
    return { ...spot, text: number, short: true, overlaps: true };
  });
}

/**
 * The size at which a width x height picture is shown: as large as fits
 * `room` (the column's width and the height left in the window), small
 * pictures scaled up, but at most `maxUpscale` times.
 * @param {number} width @param {number} height
 * @param {{width: number, height: number}} room
 * @param {number} [maxUpscale]
 */
export function fitPicture(width, height, room, maxUpscale = 4) {
  const scale = Math.min(room.width / width, room.height / height, maxUpscale);
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)), scale };
}
