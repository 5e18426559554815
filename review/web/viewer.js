// viewer.js: the micrograph on a canvas with its boxes on a second canvas above it - tiles, zoom and pan, and
// the mouse edits (add, select, move, resize, delete).
//
// Coordinates. A box is {x, y, w, h, cls, conf}: centre (x, y) in micrograph pixels with pixel centres at
// integers (x = column, y = row as stored, row 0 drawn at the top, as RELION displays it), size in pixels
// (docs/picking.md). The screen maps pixel EDGES linearly: edge u = x + 0.5 lands at screen ox + u * scale, so
// pixel i fills [ox + i * scale, ox + (i + 1) * scale) and a box's edges x +- w/2 land where its pixels are.
// A view (raw or pre-processed) may be smaller than the micrograph (the chain resizes): its pixel edges are
// the micrograph's edges times scale_x, as the pick pipeline maps boxes back (docs/picking.md section 4).
// Level k of a view's pyramid has pixels 2^k view pixels wide; tile (tx, ty) starts at view pixel T 2^k tx.

import { getTile, micrographPath } from './api.js';

const HANDLE = 5;          // half size of a resize handle, CSS px
const DRAG_START = 4;      // CSS px a press must travel before it is a drag rather than a click
const MAX_TILES = 400;     // decoded tiles kept (each at most 512 x 512 x 4 bytes)
const MAX_FETCHES = 6;

export class Viewer {
  constructor(host, imageCanvas, overlayCanvas, hooks) {
    this.host = host;
    this.imageCanvas = imageCanvas;
    this.overlay = overlayCanvas;
    this.hooks = hooks;   // onEdit(before, what), onSelect(box), onCursor(x, y), onView(), onTileError(error),
                          // newBoxClass(), newBoxSize(cls), editable(), colours(), names()
    this.micrograph = null;          // {name, width, height}
    this.view = null;                // {kind, info} (server's /view answer)
    this.boxes = [];
    this.threshold = 0;
    this.showHidden = false;
    this.selected = null;
    this.scale = 1;
    this.ox = 0;
    this.oy = 0;
    this.tiles = new Map();          // key -> ImageBitmap (insertion order = age)
    this.loading = new Set();
    this.queue = [];
    this.drag = null;
    this.spaceDown = false;
    this.frame = 0;
    this.drawnBoxes = 0;             // boxes drawn by the last render (read by the browser test)
    this.#listen();
    new ResizeObserver(() => this.#resize()).observe(host);
    this.#resize();
  }

  // --- coordinates ---------------------------------------------------------------------------------------
  toScreenX(x) { return this.ox + (x + 0.5) * this.scale; }
  toScreenY(y) { return this.oy + (y + 0.5) * this.scale; }
  toImageX(sx) { return (sx - this.ox) / this.scale - 0.5; }
  toImageY(sy) { return (sy - this.oy) / this.scale - 0.5; }
  visible(box) { return box.conf >= this.threshold; }

  // --- state from the page -------------------------------------------------------------------------------
  setMicrograph(micrograph) {
    this.micrograph = micrograph;
    this.view = null;
    this.selected = null;
    this.fit();
  }

  setView(kind, info) {
    this.view = { kind, info };
    this.queue = [];
    this.requestRender();
  }

  setBoxes(boxes) {
    this.boxes = boxes;
    if (!boxes.includes(this.selected)) this.select(null);
    this.requestRender();
  }

  select(box) {
    this.selected = box;
    this.hooks.onSelect(box);
    this.requestRender();
  }

  // --- zoom and pan --------------------------------------------------------------------------------------
  fit() {
    if (!this.micrograph) return;
    const { width, height } = this.micrograph;
    this.scale = Math.min(this.cssWidth / width, this.cssHeight / height) * 0.98;
    this.ox = (this.cssWidth - width * this.scale) / 2;
    this.oy = (this.cssHeight - height * this.scale) / 2;
    this.#changed();
    this.fitted = true;  // until the user zooms or pans, a resized window fits again
  }

  // 1 micrograph pixel = 1 screen pixel, centred where the view's centre was.
  oneToOne() { this.zoomAt(1 / (window.devicePixelRatio || 1) / this.scale, this.cssWidth / 2, this.cssHeight / 2); }

  zoomAt(factor, sx, sy) {
    if (!this.micrograph) return;
    const fitScale = Math.min(this.cssWidth / this.micrograph.width, this.cssHeight / this.micrograph.height);
    const scale = Math.min(Math.max(this.scale * factor, fitScale / 4), 32);
    const u = (sx - this.ox) / this.scale, v = (sy - this.oy) / this.scale;  // edge coordinates under the cursor
    this.scale = scale;
    this.ox = sx - u * scale;
    this.oy = sy - v * scale;
    this.#changed();
  }

  panBy(dx, dy) {
    this.ox += dx;
    this.oy += dy;
    this.#changed();
  }

  centreOn(box) {
    this.ox = this.cssWidth / 2 - (box.x + 0.5) * this.scale;
    this.oy = this.cssHeight / 2 - (box.y + 0.5) * this.scale;
    this.#changed();
  }

  #changed() {
    this.fitted = false;
    this.hooks.onView();
    this.requestRender();
  }

  #resize() {
    const dpr = window.devicePixelRatio || 1;
    const wasEmpty = !this.cssWidth;
    this.cssWidth = this.host.clientWidth;
    this.cssHeight = this.host.clientHeight;
    for (const c of [this.imageCanvas, this.overlay]) {
      c.width = Math.max(1, Math.round(this.cssWidth * dpr));
      c.height = Math.max(1, Math.round(this.cssHeight * dpr));
    }
    if (wasEmpty || this.fitted) this.fit();
    this.requestRender();
  }

  // --- drawing -------------------------------------------------------------------------------------------
  requestRender() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.#drawImage();
      this.#drawBoxes();
    });
  }

  // The finest level worth drawing: one level pixel per screen pixel or more.
  #wantedLevel() {
    const info = this.view.info;
    const ratio = this.scale * info.scale_x * (window.devicePixelRatio || 1);  // device px per view px
    const k = Math.floor(Math.log2(1 / ratio) + 1e-9);
    return Math.min(Math.max(k, 0), info.levels.length - 1);
  }

  #drawImage() {
    const ctx = this.imageCanvas.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.cssWidth, this.cssHeight);
    if (!this.micrograph || !this.view) return;
    const { width, height } = this.micrograph;
    ctx.save();
    ctx.beginPath();
    ctx.rect(this.ox, this.oy, width * this.scale, height * this.scale);
    ctx.clip();
    ctx.fillStyle = '#000';
    ctx.fillRect(this.ox, this.oy, width * this.scale, height * this.scale);
    const info = this.view.info;
    const wanted = this.#wantedLevel();
    // Coarse to fine: the one-tile preview always, finer tiles over it as they arrive.
    ctx.imageSmoothingEnabled = this.scale * info.scale_x < 4;  // zoomed in further, show the pixels as they are
    ctx.imageSmoothingQuality = 'high';
    const needed = [];
    for (let k = info.levels.length - 1; k >= wanted; --k) {
      const step = info.tile_size * 2 ** k;                    // view pixels per tile
      const sx = info.scale_x * this.scale, sy = info.scale_y * this.scale;  // screen px per view px
      const level = info.levels[k];
      const [x0, x1] = this.#tileRange(-this.ox / sx, (this.cssWidth - this.ox) / sx, step, level.tiles_x);
      const [y0, y1] = this.#tileRange(-this.oy / sy, (this.cssHeight - this.oy) / sy, step, level.tiles_y);
      for (let ty = y0; ty <= y1; ++ty)
        for (let tx = x0; tx <= x1; ++tx) {
          const key = this.#tileKey(k, tx, ty);
          const bitmap = this.tiles.get(key);
          if (bitmap) {
            ctx.drawImage(bitmap, this.ox + tx * step * sx, this.oy + ty * step * sy,
                          bitmap.width * 2 ** k * sx, bitmap.height * 2 ** k * sy);
          } else if (k === wanted || k === info.levels.length - 1) {
            needed.push([key, k, tx, ty]);
          }
        }
    }
    ctx.restore();
    this.#fetchTiles(needed);
  }

  #tileRange(from, to, step, count) {
    return [Math.max(0, Math.floor(from / step)), Math.min(count - 1, Math.floor(to / step))];
  }

  #tileKey(k, tx, ty) { return `${this.micrograph.name}/${this.view.kind}/${k}/${tx}/${ty}`; }

  #fetchTiles(needed) {
    this.queue = needed.filter(([key]) => !this.loading.has(key));
    while (this.loading.size < MAX_FETCHES && this.queue.length > 0) {
      const [key, k, tx, ty] = this.queue.shift();  // the preview first, then the tiles of the wanted level
      this.loading.add(key);
      const kind = this.view.kind;
      getTile(`${micrographPath(this.micrograph.name)}/view/${kind}/${k}/${tx}/${ty}`)
        .then((bitmap) => {
          this.tiles.set(key, bitmap);
          while (this.tiles.size > MAX_TILES) {
            const oldest = this.tiles.keys().next().value;
            this.tiles.get(oldest).close();
            this.tiles.delete(oldest);
          }
        })
        .catch((error) => this.hooks.onTileError(error))
        .finally(() => {
          this.loading.delete(key);
          this.requestRender();
        });
    }
  }

  #drawBoxes() {
    const ctx = this.overlay.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.cssWidth, this.cssHeight);
    this.drawnBoxes = 0;
    if (!this.micrograph) return;
    const colours = this.hooks.colours();
    const names = this.hooks.names();
    ctx.font = '600 11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    for (const box of this.boxes) {
      const shown = this.visible(box);
      if (!shown && !this.showHidden) continue;
      const x1 = this.toScreenX(box.x - box.w / 2), y1 = this.toScreenY(box.y - box.h / 2);
      const w = box.w * this.scale, h = box.h * this.scale;
      if (x1 > this.cssWidth || y1 > this.cssHeight || x1 + w < 0 || y1 + h < 0) continue;
      const colour = colours[box.cls] || '#ffffff';
      const selected = box === this.selected;
      ctx.setLineDash(shown ? [] : [4, 4]);
      ctx.globalAlpha = shown ? 1 : 0.55;
      // A dark halo under the coloured line keeps every class colour readable on light and dark ice.
      ctx.lineWidth = selected ? 5 : 3.5;
      ctx.strokeStyle = 'rgba(0, 0, 0, 0.6)';
      ctx.strokeRect(x1, y1, w, h);
      ctx.lineWidth = selected ? 3 : 1.75;
      ctx.strokeStyle = colour;
      ctx.strokeRect(x1, y1, w, h);
      ctx.setLineDash([]);
      if (selected) {
        ctx.fillStyle = 'rgba(255, 255, 255, 0.08)';
        ctx.fillRect(x1, y1, w, h);
        for (const [hx, hy] of this.#corners(box)) {
          ctx.fillStyle = '#fff';
          ctx.fillRect(hx - HANDLE, hy - HANDLE, 2 * HANDLE, 2 * HANDLE);
          ctx.strokeStyle = colour;
          ctx.lineWidth = 2;
          ctx.strokeRect(hx - HANDLE, hy - HANDLE, 2 * HANDLE, 2 * HANDLE);
        }
      }
      if (w >= 28) this.#drawTag(ctx, box, x1, y1, w, colour, names[box.cls]);
      ctx.globalAlpha = 1;
      this.drawnBoxes += shown ? 1 : 0;
    }
  }

  // detect.py's look: a tab of the class colour on the box's top edge with the confidence (and the class
  // name when there is room); hand-made boxes (confidence 1) show the class name only when zoomed in.
  #drawTag(ctx, box, x1, y1, w, colour, name) {
    const parts = [];
    if (w >= 90 && name) parts.push(name);
    if (box.conf < 1) parts.push(box.conf.toFixed(2));
    if (parts.length === 0) return;
    const text = parts.join(' ');
    const tw = ctx.measureText(text).width + 6;
    const ty = y1 >= 15 ? y1 - 15 : y1;
    ctx.fillStyle = colour;
    ctx.fillRect(x1 - 1, ty, tw, 15);
    ctx.fillStyle = luminance(colour) > 0.55 ? '#000' : '#fff';
    ctx.fillText(text, x1 + 2, ty + 2);
  }

  #corners(box) {
    const x1 = this.toScreenX(box.x - box.w / 2), x2 = this.toScreenX(box.x + box.w / 2);
    const y1 = this.toScreenY(box.y - box.h / 2), y2 = this.toScreenY(box.y + box.h / 2);
    return [[x1, y1], [x2, y1], [x2, y2], [x1, y2]];
  }

  // --- hit tests -----------------------------------------------------------------------------------------
  // The smallest shown box containing the screen point (nested or overlapping boxes: the inner one).
  boxAt(sx, sy) {
    const x = this.toImageX(sx), y = this.toImageY(sy);
    let best = null;
    for (const box of this.boxes) {
      if (!this.visible(box) && !this.showHidden) continue;
      if (Math.abs(x - box.x) <= box.w / 2 && Math.abs(y - box.y) <= box.h / 2 && (!best || box.w * box.h < best.w * best.h))
        best = box;
    }
    return best;
  }

  #handleAt(sx, sy) {
    if (!this.selected) return -1;
    return this.#corners(this.selected).findIndex(([hx, hy]) => Math.abs(sx - hx) <= HANDLE + 2 && Math.abs(sy - hy) <= HANDLE + 2);
  }

  #insideImage(x, y) {
    return x >= -0.5 && y >= -0.5 && x <= this.micrograph.width - 0.5 && y <= this.micrograph.height - 0.5;
  }

  #clampCentre(box) {
    box.x = Math.min(Math.max(box.x, -0.5), this.micrograph.width - 0.5);
    box.y = Math.min(Math.max(box.y, -0.5), this.micrograph.height - 0.5);
  }

  // --- mouse ---------------------------------------------------------------------------------------------
  #point(event) {
    const r = this.overlay.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  }

  #listen() {
    const o = this.overlay;
    o.addEventListener('mousedown', (e) => this.#down(e));
    window.addEventListener('mousemove', (e) => this.#move(e));
    window.addEventListener('mouseup', (e) => this.#up(e));
    o.addEventListener('contextmenu', (e) => {
      e.preventDefault();
      if (!this.micrograph || !this.hooks.editable()) return;
      const [sx, sy] = this.#point(e);
      const box = this.boxAt(sx, sy);
      if (box) this.deleteBox(box);
    });
    o.addEventListener('wheel', (e) => {
      e.preventDefault();
      const [sx, sy] = this.#point(e);
      const lines = e.deltaMode === 1 ? 40 : e.deltaMode === 2 ? 400 : 1;
      this.zoomAt(Math.exp(-e.deltaY * lines * 0.0015), sx, sy);
    }, { passive: false });
    window.addEventListener('keydown', (e) => { if (e.code === 'Space' && e.target === document.body) this.spaceDown = true; });
    window.addEventListener('keyup', (e) => { if (e.code === 'Space') this.spaceDown = false; });
  }

  #down(e) {
    if (!this.micrograph) return;
    const [sx, sy] = this.#point(e);
    if (e.button === 1 || (e.button === 0 && this.spaceDown)) {
      e.preventDefault();
      this.drag = { mode: 'pan', sx, sy, moved: true };
      return;
    }
    if (e.button !== 0) return;
    const editable = this.hooks.editable();
    const handle = editable ? this.#handleAt(sx, sy) : -1;
    if (handle >= 0) {
      const b = this.selected;
      const corners = [[-1, -1], [1, -1], [1, 1], [-1, 1]];
      const [cx, cy] = corners[handle];
      // The opposite corner stays where it is.
      this.drag = { mode: 'resize', sx, sy, box: b, before: this.#snapshot(),
                    fixedX: b.x - cx * b.w / 2, fixedY: b.y - cy * b.h / 2, moved: false };
      return;
    }
    const box = this.boxAt(sx, sy);
    if (box) {
      this.select(box);
      if (editable) this.drag = { mode: 'move', sx, sy, box, x: box.x, y: box.y, before: this.#snapshot(), moved: false };
      return;
    }
    this.drag = { mode: 'press', sx, sy, ox: this.ox, oy: this.oy, moved: false };
  }

  #move(e) {
    if (!this.micrograph) return;
    const [sx, sy] = this.#point(e);
    this.hooks.onCursor(this.toImageX(sx), this.toImageY(sy));
    const d = this.drag;
    if (!d) {
      this.#hover(sx, sy);
      return;
    }
    if (!d.moved && Math.hypot(sx - d.sx, sy - d.sy) < DRAG_START) return;
    d.moved = true;
    if (d.mode === 'press') d.mode = 'pan';
    if (d.mode === 'pan') {
      this.panBy(sx - d.sx, sy - d.sy);
      d.sx = sx;
      d.sy = sy;
    } else if (d.mode === 'move') {
      d.box.x = d.x + (sx - d.sx) / this.scale;
      d.box.y = d.y + (sy - d.sy) / this.scale;
      this.#clampCentre(d.box);
      this.hooks.onSelect(d.box);
      this.requestRender();
    } else if (d.mode === 'resize') {
      let x = this.toImageX(sx), y = this.toImageY(sy);
      if (e.shiftKey) {  // square
        const side = Math.max(Math.abs(x - d.fixedX), Math.abs(y - d.fixedY));
        x = d.fixedX + Math.sign(x - d.fixedX || 1) * side;
        y = d.fixedY + Math.sign(y - d.fixedY || 1) * side;
      }
      d.box.w = Math.max(4, Math.abs(x - d.fixedX));
      d.box.h = Math.max(4, Math.abs(y - d.fixedY));
      d.box.x = (x + d.fixedX) / 2;
      d.box.y = (y + d.fixedY) / 2;
      this.#clampCentre(d.box);
      this.hooks.onSelect(d.box);
      this.requestRender();
    }
  }

  #up(e) {
    const d = this.drag;
    this.drag = null;
    if (!d || !this.micrograph) return;
    if (d.mode === 'press' && !d.moved && e.button === 0) {
      const x = this.toImageX(d.sx), y = this.toImageY(d.sy);
      if (this.selected) this.select(null);  // a click beside the selection first deselects ...
      else if (this.hooks.editable() && this.#insideImage(x, y)) this.addBox(x, y);  // ... then adds
    } else if ((d.mode === 'move' || d.mode === 'resize') && d.moved) {
      this.hooks.onEdit(d.before, d.mode === 'move' ? 'moved a box' : 'resized a box');
    }
  }

  #hover(sx, sy) {
    let cursor = 'crosshair';
    if (this.spaceDown) cursor = 'grab';
    else if (this.hooks.editable() && this.#handleAt(sx, sy) >= 0) cursor = this.#handleAt(sx, sy) % 2 === 0 ? 'nwse-resize' : 'nesw-resize';
    else if (this.boxAt(sx, sy)) cursor = this.hooks.editable() ? 'move' : 'pointer';
    this.overlay.style.cursor = cursor;
  }

  // --- edits (each ends in hooks.onEdit with the boxes as they were before) -------------------------------
  #snapshot() { return this.boxes.map((b) => ({ ...b })); }

  addBox(x, y) {
    const before = this.#snapshot();
    const cls = this.hooks.newBoxClass();
    const [w, h] = this.hooks.newBoxSize(cls);
    const box = { x, y, w, h, cls, conf: 1 };
    this.#clampCentre(box);
    this.boxes.push(box);
    this.select(box);
    this.hooks.onEdit(before, 'added a box');
  }

  deleteBox(box) {
    const i = this.boxes.indexOf(box);
    if (i < 0) return;
    const before = this.#snapshot();
    this.boxes.splice(i, 1);
    if (this.selected === box) this.select(null);
    this.hooks.onEdit(before, 'deleted a box');
    this.requestRender();
  }

  setClass(box, cls) {
    if (box.cls === cls) return;
    const before = this.#snapshot();
    box.cls = cls;
    this.hooks.onSelect(box);
    this.hooks.onEdit(before, 'changed a class');
    this.requestRender();
  }

  nudge(box, dx, dy) {
    const before = this.#snapshot();
    box.x += dx;
    box.y += dy;
    this.#clampCentre(box);
    this.hooks.onSelect(box);
    this.hooks.onEdit(before, 'moved a box');
    this.requestRender();
  }
}

function luminance(hex) {
  const n = parseInt(hex.slice(1), 16);
  return (0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
}
