// @ts-check
// The picture with its faces: each face's box, number and (where it fits)
// label, the keypoints, and the selected face marked. The canvas is drawn at
// the size it is shown at (times the screen's pixel ratio), so tags are
// crisp and readable whatever the picture's size; the download is drawn at
// the picture's own size.

import { fitPicture, layoutTags } from './layout.js';

const BOX_COLOUR = '#37e08f';
const SELECTED_COLOUR = '#ffd400';
const KEYPOINT_COLOUR = '#ff4f6d';
const TAG_FONT = 'system-ui, sans-serif';
// The picture's height may take this share of the window, so the results
// below it stay in reach on a phone.
const VIEW_HEIGHT_SHARE = 0.7;

/**
 * @typedef {import('../facegender/facegender').Face} Face
 * @typedef {{source: CanvasImageSource, width: number, height: number, faces: Face[], mirrored: boolean}} Picture
 */

/**
 * Draws `picture` into ctx at `scale` output pixels per picture pixel, with
 * tags `fontSize` output pixels high.
 * @param {CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D} ctx
 * @param {Picture} picture
 * @param {{scale: number, fontSize: number, keypoints: boolean, selected: number}} style
 */
export function drawAnnotated(ctx, picture, { scale, fontSize, keypoints, selected }) {
  const { source, width, height, faces, mirrored } = picture;
  const outWidth = Math.round(width * scale);
  const outHeight = Math.round(height * scale);
  ctx.setTransform(mirrored ? -1 : 1, 0, 0, 1, mirrored ? outWidth : 0, 0);
  ctx.drawImage(source, 0, 0, outWidth, outHeight);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  const mapX = (/** @type {number} */ x) => (mirrored ? width - x : x) * scale;
  const boxes = faces.map((f) => ({
    x: mirrored ? (width - f.box.x - f.box.width) * scale : f.box.x * scale,
    y: f.box.y * scale, width: f.box.width * scale, height: f.box.height * scale,
  }));
  const line = Math.max(2, Math.round(fontSize / 7));
  if (keypoints) {
    ctx.fillStyle = KEYPOINT_COLOUR;
    for (const face of faces) {
      for (const p of face.keypoints) {
        ctx.beginPath();
        ctx.arc(mapX(p.x), p.y * scale, line * 1.2, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
  boxes.forEach((b, i) => {
    ctx.lineWidth = i === selected ? line * 2 : line;
    ctx.strokeStyle = i === selected ? SELECTED_COLOUR : BOX_COLOUR;
    ctx.strokeRect(b.x, b.y, b.width, b.height);
  });
  drawTags(ctx, faces, boxes, { width: outWidth, height: outHeight, fontSize, selected });
}

/**
 * @param {CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D} ctx
 * @param {Face[]} faces
 * @param {{x: number, y: number, width: number, height: number}[]} boxes in output pixels
 * @param {{width: number, height: number, fontSize: number, selected: number}} area
 */
function drawTags(ctx, faces, boxes, { width, height, fontSize, selected }) {
  ctx.font = `600 ${fontSize}px ${TAG_FONT}`;
  ctx.textBaseline = 'top';
  const pad = Math.round(fontSize / 4);
  const tags = layoutTags(faces.map((f, i) => ({ box: boxes[i], text: f.text })), {
    width, height, tagHeight: fontSize + 2 * pad, measure: (text) => ctx.measureText(text).width + 2 * pad,
  });
  tags.forEach((tag, i) => {
    ctx.fillStyle = i === selected ? 'rgb(90 70 0 / 0.85)' : 'rgb(0 0 0 / 0.72)';
    ctx.fillRect(tag.x, tag.y, tag.width, tag.height);
    ctx.fillStyle = '#ffffff';
    ctx.fillText(tag.text, tag.x + pad, tag.y + pad);
  });
}

export class PictureView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLElement} stage the picture's column (its width is the room)
   */
  constructor(canvas, stage) {
    this.canvas = canvas;
    this.stage = stage;
    this.context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    /** @type {Picture | null} */
    this.picture = null;
    this.keypoints = true;
    this.selected = -1;
    // The column changes width with the window, and when the inspector
    // opens beside it: draw again at the new size (once per frame at most).
    this.pendingRedraw = false;
    new ResizeObserver(() => {
      if (this.pendingRedraw) return;
      this.pendingRedraw = true;
      requestAnimationFrame(() => {
        this.pendingRedraw = false;
        this.redraw();
      });
    }).observe(stage);
  }

  /** Shows `picture` (its source must stay drawable until the next show). @param {Picture} picture */
  show(picture) {
    this.picture = picture;
    if (this.selected >= picture.faces.length) this.selected = picture.faces.length > 0 ? 0 : -1;
    this.redraw();
  }

  redraw() {
    const picture = this.picture;
    if (!picture) return;
    const room = { width: Math.max(120, this.stage.clientWidth), height: Math.max(200, window.innerHeight * VIEW_HEIGHT_SHARE) };
    const shown = fitPicture(picture.width, picture.height, room);
    const ratio = window.devicePixelRatio || 1;
    const pixelWidth = Math.round(shown.width * ratio);
    const pixelHeight = Math.round(shown.height * ratio);
    if (this.canvas.width !== pixelWidth || this.canvas.height !== pixelHeight) {
      this.canvas.width = pixelWidth;
      this.canvas.height = pixelHeight;
    }
    this.canvas.style.width = `${shown.width}px`;
    this.canvas.style.height = `${shown.height}px`;
    const scale = pixelWidth / picture.width;
    drawAnnotated(this.context, picture, { scale, fontSize: Math.round(15 * ratio), keypoints: this.keypoints, selected: this.selected });
  }

  /**
   * The smallest face box under a point of the page (client coordinates), or -1.
   * @param {number} clientX @param {number} clientY
   */
  faceAt(clientX, clientY) {
    const picture = this.picture;
    if (!picture) return -1;
    const rect = this.canvas.getBoundingClientRect();
    let x = ((clientX - rect.left) / rect.width) * picture.width;
    const y = ((clientY - rect.top) / rect.height) * picture.height;
    if (picture.mirrored) x = picture.width - x;
    let best = -1;
    picture.faces.forEach(({ box: b }, i) => {
      const area = b.width * b.height;
      const inside = x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height;
      if (inside && (best < 0 || area < picture.faces[best].box.width * picture.faces[best].box.height)) best = i;
    });
    return best;
  }

  /** The picture at its own size with its tags, as a PNG. @returns {Promise<Blob>} */
  async annotatedPng() {
    const picture = this.picture;
    if (!picture) throw new Error('there is no picture to save');
    const canvas = document.createElement('canvas');
    canvas.width = picture.width;
    canvas.height = picture.height;
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    const fontSize = Math.max(13, Math.round(Math.max(picture.width, picture.height) / 45));
    drawAnnotated(ctx, picture, { scale: 1, fontSize, keypoints: this.keypoints, selected: -1 });
    return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the PNG could not be made'))), 'image/png'));
  }
}
