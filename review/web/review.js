// review.js: the review page - the micrograph list, the tools panel, keys, undo/redo and the save state.
// The server (review/server.h) owns every file; this page holds the boxes of the micrograph on screen and sends
// them after every change (api.js Saver). viewer.js draws and edits them.

import { ApiError, getJson, micrographPath, postJson, Saver } from './api.js';
import { Viewer } from './viewer.js';

const $ = (id) => document.getElementById(id);
const MAX_UNDO = 200;

const app = {
  session: null,
  list: [],              // the server's micrograph list entries
  boxSizes: [],          // typical [w, h] per class over the files read (server)
  index: -1,
  current: null,         // {name, width, height, boxes, label, status, source, sourcePath, error}
  undo: [],
  redo: [],
  activeClass: 0,
  threshold: 0.25,
  viewKind: 'raw',
  lastSavedAt: '',
  lastSavedFiles: [],
  loadSerial: 0,
  saver: null,
};

const viewer = new Viewer($('viewer'), $('image-canvas'), $('overlay-canvas'), {
  onEdit: (before, what) => edited(before, what),
  onSelect: (box) => showSelection(box),
  onCursor: (x, y) => showCursor(x, y),
  onView: () => { $('zoom-indicator').textContent = `${Math.round(viewer.scale * 1000) / 10} %`; },
  onTileError: (error) => setStatus('bad', `Cannot show the micrograph: ${error.message}`),
  newBoxClass: () => app.activeClass,
  newBoxSize: (cls) => newBoxSize(cls),
  editable: () => Boolean(app.current && !app.current.error && !app.current.loading),
  colours: () => app.session ? app.session.classes.map((c) => c.colour) : [],
  names: () => app.session ? app.session.classes.map((c) => c.name) : [],
});

// Boxes on the wire use the file formats' words (requests.h); in the page, {x, y, w, h, cls, conf}.
const fromWire = (b) => ({ x: b.x, y: b.y, w: b.w, h: b.h, cls: b.class, conf: b.confidence });
const toWire = (b) => ({ x: b.x, y: b.y, w: b.w, h: b.h, class: b.cls, confidence: b.conf });
const copyBoxes = (boxes) => boxes.map((b) => ({ ...b }));

// --- start ---------------------------------------------------------------------------------------------
async function start() {
  try {
    app.session = await getJson('/api/session');
  } catch (error) {
    setStatus('bad', `Cannot reach the review server: ${error.message}`);
    return;
  }
  app.threshold = app.session.threshold;
  viewer.threshold = app.threshold;
  $('threshold').value = app.threshold;
  $('pick').hidden = !app.session.can_pick;
  $('view-kind').options[1].textContent = 'pre-processed';
  $('view-kind').title = `pre-processed = ${app.session.processed}`;
  showFolders();
  app.saver = new Saver(`yolopick-review|${location.host}|${app.session.out_dir}`, saveEvent);
  await loadList(app.threshold);
  buildClassButtons();
  showThreshold();
  await recoverUnsaved();
  const fromHash = app.list.findIndex((m) => m.name === decodeURIComponent(location.hash.slice(1)));
  const firstUnseen = app.list.findIndex((m) => m.status === 'unseen' && !m.error);
  const firstReadable = app.list.findIndex((m) => !m.error);
  await open([fromHash, firstUnseen, firstReadable, 0].find((i) => i >= 0));
}

async function loadList(threshold) {
  const answer = await getJson(`/api/micrographs?threshold=${threshold}`);
  app.list = answer.micrographs;
  app.boxSizes = answer.box_sizes;
  if (answer.classes > app.session.classes.length) await refreshClasses();
  renderList();
}

// A file named a class the session had no name for: the server added "class N"; show it with its colour.
async function refreshClasses() {
  app.session = await getJson('/api/session');
  if ($('class-buttons').children.length) buildClassButtons();
}

// Edits kept in this browser from a closed tab or a stopped server go to the server first.
async function recoverUnsaved() {
  const n = app.saver.pending.size;
  if (n === 0) {
    setStatus('ok', 'Every change is saved as you make it');
    return;
  }
  setStatus('busy', `Sending ${n} unsaved change${n > 1 ? 's' : ''} kept from the last session…`);
  try {
    await app.saver.flush();
    setStatus('ok', `Recovered the unsaved changes of ${n} micrograph${n > 1 ? 's' : ''} from the last session`);
  } catch (error) {
    setStatus('bad', `Could not send the changes kept from the last session: ${error.message}`);
  }
}

// --- micrograph list -----------------------------------------------------------------------------------
function renderList() {
  const ol = $('mic-list');
  ol.replaceChildren();
  app.list.forEach((m, i) => {
    const li = document.createElement('li');
    li.dataset.index = i;
    li.innerHTML = '<span class="dot"></span><span class="name"></span><span class="counts"></span>';
    li.addEventListener('click', () => open(i));
    ol.appendChild(li);
    updateListItem(i);
  });
  applyFilter();
  showProgress();
}

function updateListItem(i) {
  const m = app.list[i];
  const li = $('mic-list').children[i];
  if (!li) return;
  li.className = [m.error ? 'error' : m.status, i === app.index ? 'current' : '',
                  app.saver && app.saver.has(m.name) ? 'unsaved' : ''].join(' ');
  li.querySelector('.name').textContent = m.name;
  li.title = m.error ? `${m.file}: ${m.error}` : `${m.file} · ${m.width} × ${m.height} · ${m.status}`;
  const counts = li.querySelector('.counts');
  counts.replaceChildren();
  (m.error ? [] : m.counts || []).forEach((n, k) => {
    if (n === 0 && k >= 2) return;
    const span = document.createElement('span');
    span.style.setProperty('--swatch', classColour(k));
    span.textContent = n;
    counts.appendChild(span);
  });
}

function applyFilter() {
  const text = $('filter').value.trim().toLowerCase();
  const status = $('status-filter').value;
  app.list.forEach((m, i) => {
    const show = (!text || m.name.toLowerCase().includes(text)) && (!status || m.status === status);
    $('mic-list').children[i].hidden = !show;
  });
}

function shownIndices() {
  return app.list.map((_, i) => i).filter((i) => !$('mic-list').children[i].hidden);
}

function showProgress() {
  const done = app.list.filter((m) => m.status !== 'unseen').length;
  const labelled = app.list.filter((m) => m.status === 'labelled').length;
  $('progress').textContent = `${done}/${app.list.length} seen · ${labelled} labelled`;
}

function step(delta) {
  const shown = shownIndices();
  if (shown.length === 0) return;
  const at = shown.indexOf(app.index);
  const next = at < 0 ? shown[0] : shown[Math.min(Math.max(at + delta, 0), shown.length - 1)];
  if (next !== app.index) open(next);
}

function nextUnseen() {
  for (let d = 1; d <= app.list.length; ++d) {
    const i = (app.index + d) % app.list.length;
    const m = app.list[i];
    if (m.status === 'unseen' && !m.error && !$('mic-list').children[i].hidden) return i;
  }
  return -1;
}

// --- one micrograph ------------------------------------------------------------------------------------
async function open(i) {
  if (i < 0 || i >= app.list.length) return;
  if (app.saver.unsaved > 0) app.saver.flush().catch(() => {});  // leaving: send now (kept if it fails)
  const serial = ++app.loadSerial;
  const m = app.list[i];
  const previous = app.index;
  app.index = i;
  if (previous >= 0) updateListItem(previous);
  updateListItem(i);
  $('mic-list').children[i].scrollIntoView({ block: 'nearest' });
  history.replaceState(null, '', `${location.search}#${encodeURIComponent(m.name)}`);
  document.title = `${m.name} · yolopick review`;
  app.current = { name: m.name, width: m.width, height: m.height, boxes: [], label: false, status: m.status,
                  source: '', sourcePath: '', error: m.error, loading: true };
  app.undo = [];
  app.redo = [];
  showTitle();
  viewer.setMicrograph(m.error ? null : { name: m.name, width: m.width, height: m.height });
  viewer.setBoxes(app.current.boxes);
  showMessage(m.error ? `${m.file}: ${m.error}` : 'Loading…', Boolean(m.error));
  showCounts();
  showEditState();
  if (m.error) return;
  try {
    const [boxes, view] = await Promise.all([getJson(`${micrographPath(m.name)}/boxes`), loadView(m.name)]);
    if (boxes.boxes.some((b) => b.class >= app.session.classes.length)) await refreshClasses();
    if (serial !== app.loadSerial) return;  // the user moved on meanwhile
    const kept = app.saver.pending.get(m.name);  // an edit not yet on the server is newer than its files
    app.current.boxes = kept ? kept.boxes.map(fromWire) : boxes.boxes.map(fromWire);
    app.current.label = kept ? kept.label : boxes.label;
    app.current.source = boxes.source;
    app.current.sourcePath = boxes.source_path;
    app.current.status = boxes.status;
    app.current.loading = false;
    viewer.setBoxes(app.current.boxes);
    viewer.setView(app.viewKind, view);
    showMessage('');
  } catch (error) {
    if (serial !== app.loadSerial) return;
    app.current.error = error.message;
    showMessage(`Cannot open ${m.name}: ${error.message}`, true);
  }
  showTitle();
  showCounts();
  showEditState();
  prefetch(nextUnseen() >= 0 ? nextUnseen() : i + 1);
}

function loadView(name) { return getJson(`${micrographPath(name)}/view/${app.viewKind}`); }

// The server reads and scales the next micrograph while this one is reviewed.
function prefetch(i) {
  if (i < 0 || i >= app.list.length || app.list[i].error) return;
  getJson(`${micrographPath(app.list[i].name)}/view/${app.viewKind}`).catch(() => {});
}

async function switchView(kind) {
  app.viewKind = kind;
  $('view-kind').value = kind;
  if (!app.current || app.current.error) return;
  const serial = app.loadSerial;
  showMessage(kind === 'processed' ? `Pre-processing: ${app.session.processed}…` : 'Loading…');
  try {
    const view = await loadView(app.current.name);
    if (serial !== app.loadSerial) return;
    viewer.setView(kind, view);
    showMessage('');
  } catch (error) {
    showMessage(`Cannot show the ${kind} view: ${error.message}`, true);
  }
}

// --- edits, undo, saving -------------------------------------------------------------------------------
function edited(before, what) {
  app.undo.push(before);
  if (app.undo.length > MAX_UNDO) app.undo.shift();
  app.redo = [];
  changed(what);
}

function changed(what) {
  queueSave(what);
  showCounts();
  showEditState();
  viewer.requestRender();
}

function queueSave(what, delayMs = 250) {
  const c = app.current;
  if (!c || c.error || c.loading) return;
  app.saver.queue(c.name, { boxes: c.boxes.map(toWire), threshold: app.threshold, label: c.label }, delayMs);
  if (what) setStatus('busy', `Saving: ${what}…`);
}

function restore(from, to) {
  if (from.length === 0) return;
  to.push(copyBoxes(app.current.boxes));
  app.current.boxes = from.pop();
  viewer.setBoxes(app.current.boxes);
  changed(from === app.undo ? 'undo' : 'redo');
}

function saveEvent(event) {
  const i = app.list.findIndex((m) => m.name === event.name);
  if (event.kind === 'saved') {
    const r = event.result;
    if (i >= 0) Object.assign(app.list[i], { status: r.status, counts: r.counts, below: r.below });
    if (app.current && app.current.name === event.name) {
      app.current.status = r.status;
      app.current.source = 'reviewed';
      showTitle();
    }
    app.lastSavedAt = r.saved_at;
    app.lastSavedFiles = r.files;
    showProgress();
    applyFilter();
  }
  if (i >= 0) updateListItem(i);
  showSaveState(event);
}

function showSaveState(event) {
  const unsaved = app.saver.unsaved;
  if (event.kind === 'error') {
    const refused = event.error instanceof ApiError && event.error.status >= 400 && event.error.status < 500;
    setStatus('bad', refused ? `Not saved, the server refused it: ${event.error.message}`
                             : `Not saved: ${event.error.message}. Kept in this browser, retrying`);
  } else if (unsaved > 0) {
    setStatus('busy', `Saving ${unsaved} change${unsaved > 1 ? 's' : ''}…`);
  } else if (event.kind === 'saved') {
    const time = app.lastSavedAt.split(' ')[1] || app.lastSavedAt;
    const folder = (path) => path.split('/').filter(Boolean).slice(-1)[0] + '/';
    const label = app.lastSavedFiles.find((f) => f.endsWith('.txt') && !f.startsWith(app.session.out_dir));
    setStatus('ok', `All changes saved at ${time} · ${event.name}: picks in ${folder(app.session.out_dir)}` +
                    (label ? `, training label ${folder(label.slice(0, label.lastIndexOf('/') + 1))}${label.split('/').pop()}` : ''));
    $('save-status').title = app.lastSavedFiles.join('\n');
  }
}

function setStatus(kind, text) {
  const el = $('save-status');
  el.className = `state-${kind}`;
  el.textContent = text;
}

// --- panel ---------------------------------------------------------------------------------------------
function classColour(k) {
  const c = app.session && app.session.classes[k];
  return c ? c.colour : '#ffffff';
}

function buildClassButtons() {
  const div = $('class-buttons');
  div.replaceChildren();
  app.session.classes.forEach((c, k) => {
    const b = document.createElement('button');
    b.style.setProperty('--swatch', c.colour);
    b.innerHTML = '<span class="swatch"></span><span class="key"></span><span class="cname"></span><span class="count"></span>';
    b.querySelector('.key').textContent = k < 9 ? String(k + 1) : '';
    b.querySelector('.cname').textContent = c.name;
    b.title = `Class ${k} (${c.name}): new boxes, and the selected box (key ${k + 1})`;
    b.addEventListener('click', () => chooseClass(k));
    div.appendChild(b);
  });
  chooseClass(Math.min(app.activeClass, app.session.classes.length - 1));
}

function chooseClass(k) {
  if (!app.session || k < 0 || k >= app.session.classes.length) return;
  app.activeClass = k;
  [...$('class-buttons').children].forEach((b, i) => b.classList.toggle('active', i === k));
  if (viewer.selected && viewer.hooks.editable()) viewer.setClass(viewer.selected, k);
}

// A new box takes the typical size of its class: the median over this micrograph, else over the files the
// server read (or its --box), else the median of any class here, else a twelfth of the micrograph.
function newBoxSize(cls) {
  const median = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const typical = (boxes) => [median(boxes.map((b) => b.w)), median(boxes.map((b) => b.h))];
  const same = app.current.boxes.filter((b) => b.cls === cls);
  if (same.length) return typical(same);
  const server = app.boxSizes[cls];
  if (server && server[0] > 0 && server[1] > 0) return server;
  if (app.current.boxes.length) return typical(app.current.boxes);
  const side = Math.round(Math.min(app.current.width, app.current.height) / 12);
  return [side, side];
}

function showCounts() {
  const tbody = $('counts').tBodies[0];
  tbody.replaceChildren();
  const nc = app.session.classes.length;
  const shown = new Array(nc).fill(0), hidden = new Array(nc).fill(0);
  for (const b of app.current ? app.current.boxes : []) {
    while (b.cls >= shown.length) shown.push(0), hidden.push(0);
    (b.conf >= app.threshold ? shown : hidden)[b.cls] += 1;
  }
  const row = (label, colour, s, h, cls) => {
    const tr = document.createElement('tr');
    tr.className = cls;
    tr.innerHTML = '<td></td><td></td><td></td>';
    if (colour) {
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.setProperty('--swatch', colour);
      tr.cells[0].appendChild(sw);
    }
    tr.cells[0].append(label);
    tr.cells[1].textContent = s;
    tr.cells[2].textContent = h;
    tbody.appendChild(tr);
  };
  shown.forEach((s, k) => row(app.session.classes[k] ? app.session.classes[k].name : `class ${k}`, classColour(k), s, hidden[k], `class-${k}`));
  row('all', null, shown.reduce((a, b) => a + b, 0), hidden.reduce((a, b) => a + b, 0), 'total');
  [...$('class-buttons').children].forEach((b, k) => { b.querySelector('.count').textContent = shown[k] || 0; });
  if (app.index >= 0 && app.current && !app.current.loading && !app.current.error) {
    app.list[app.index].counts = shown;  // the list follows the slider and the edits live
    updateListItem(app.index);
  }
}

function showThreshold() {
  $('threshold-value').textContent = app.threshold.toFixed(2);
  const exported = app.session.threshold;
  const button = $('export');
  const same = Math.abs(app.threshold - exported) < 1e-9;
  button.disabled = same;
  button.textContent = same ? `Export threshold ${exported.toFixed(2)} (saved)` : `Export all reviewed at ≥ ${app.threshold.toFixed(2)}`;
}

let listTimer = 0;
function thresholdMoved(value, final) {
  app.threshold = value;
  viewer.threshold = value;
  viewer.requestRender();
  showThreshold();
  showCounts();
  clearTimeout(listTimer);
  listTimer = setTimeout(() => loadList(app.threshold).then(() => updateListItem(app.index)).catch(() => {}), 400);
  // What is saved for a micrograph is what its page shows: a seen one is saved again at the new threshold.
  if (final && app.current && app.current.status !== 'unseen') queueSave('threshold', 400);
}

async function exportReviewed() {
  try {
    const r = await postJson('/api/export', { threshold: app.threshold });
    app.session.threshold = r.threshold;
    showThreshold();
    $('export-note').textContent = `Rewrote the STAR, .box, .csv and .txt of ${r.exported} reviewed micrograph${r.exported === 1 ? '' : 's'} at ≥ ${r.threshold.toFixed(2)}; the threshold is kept in review.json.`;
  } catch (error) {
    $('export-note').textContent = `Export failed: ${error.message}`;
  }
}

async function pickThis() {
  const c = app.current;
  if (!c || c.error || c.loading) return;
  const button = $('pick');
  button.disabled = true;
  setStatus('busy', `Picking ${c.name} with ${app.session.model}…`);
  const t0 = performance.now();
  try {
    const r = await postJson(`${micrographPath(c.name)}/pick`, {});
    if (app.current !== c) return;
    const before = copyBoxes(c.boxes);
    c.boxes.splice(0, c.boxes.length, ...r.boxes.map(fromWire));
    viewer.setBoxes(c.boxes);
    const above = c.boxes.filter((b) => b.conf >= app.threshold).length;
    edited(before, `picked ${c.boxes.length} boxes (${above} ≥ ${app.threshold.toFixed(2)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s; Ctrl+Z restores the boxes before`);
  } catch (error) {
    setStatus('bad', `Pick failed: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function accept() {
  const c = app.current;
  if (!c || c.error || c.loading) return;
  queueSave('accepted', 0);
  const next = nextUnseen();
  if (next >= 0) open(next);
}

function toggleLabel(on) {
  const c = app.current;
  if (!c || c.error || c.loading) return;
  c.label = on;
  $('label-toggle').checked = on;
  queueSave(on ? 'now a training label' : 'no longer a training label', 0);
}

function deleteSelected() {
  if (viewer.selected && viewer.hooks.editable()) viewer.deleteBox(viewer.selected);
}

function showEditState() {
  const c = app.current;
  const editable = viewer.hooks.editable();
  $('undo').disabled = !editable || app.undo.length === 0;
  $('redo').disabled = !editable || app.redo.length === 0;
  $('delete').disabled = !editable || !viewer.selected;
  $('accept').disabled = !editable;
  $('pick').disabled = !editable;
  $('label-toggle').disabled = !editable;
  $('label-toggle').checked = Boolean(c && c.label);
}

function showTitle() {
  const c = app.current;
  $('title-name').textContent = c ? c.name : '';
  $('title-size').textContent = c && c.width ? `${c.width} × ${c.height} px` : '';
  const badge = $('title-status');
  badge.textContent = c ? c.status : '';
  badge.className = `badge ${c ? c.status : ''}`;
  const from = { reviewed: 'boxes from the reviewed .cbox', labels: 'boxes from its label file',
                 picks: 'boxes from the picks', none: 'no boxes yet' };
  $('title-source').textContent = c && c.source ? from[c.source] || '' : '';
  $('title-source').title = c ? c.sourcePath : '';
}

function showSelection(box) {
  $('delete').disabled = !box || !viewer.hooks.editable();
  if (!box) {
    $('selection').textContent = 'none: click a box';
    return;
  }
  const name = app.session.classes[box.cls] ? app.session.classes[box.cls].name : `class ${box.cls}`;
  $('selection').textContent = `${name} · centre ${box.x.toFixed(1)}, ${box.y.toFixed(1)} · ${box.w.toFixed(0)} × ${box.h.toFixed(0)} px` +
                               (box.conf < 1 ? ` · confidence ${box.conf.toFixed(3)}` : ' · by hand');
}

function showCursor(x, y) {
  const c = app.current;
  const inside = c && x >= -0.5 && y >= -0.5 && x <= c.width - 0.5 && y <= c.height - 0.5;
  $('cursor').textContent = inside ? `x ${x.toFixed(1)}  y ${y.toFixed(1)}` : '';
}

function showMessage(text, error = false) {
  const el = $('viewer-message');
  el.hidden = !text;
  el.textContent = text;
  el.classList.toggle('error', error);
}

function showFolders() {
  const s = app.session;
  const dl = $('folders');
  dl.replaceChildren();
  const entries = [['picks (read only)', s.picks_dir], ['labels', s.labels_dir], ['reviewed picks', s.out_dir],
                   ['model', s.model], ['pre-processed view', s.processed]];
  for (const [term, value] of entries) {
    if (!value) continue;
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dl.append(dt, dd);
  }
}

function applyDisplay() {
  const contrast = 2 ** Number($('contrast').value), brightness = 2 ** Number($('brightness').value);
  $('image-canvas').style.filter = `contrast(${contrast}) brightness(${brightness}) invert(${$('invert').checked ? 1 : 0})`;
}

// --- keys and controls ---------------------------------------------------------------------------------
function onKey(e) {
  const t = e.target;
  if (t instanceof HTMLInputElement && ['search', 'text', 'range'].includes(t.type)) return;  // their own keys
  if (t instanceof HTMLSelectElement) return;
  const ctrl = e.ctrlKey || e.metaKey;
  const key = e.key;
  if (!$('help').hidden) {
    if (key === 'Escape' || key === '?') $('help').hidden = true;
    return;
  }
  let handled = true;
  if (ctrl && (key === 'z' || key === 'Z')) restore(e.shiftKey ? app.redo : app.undo, e.shiftKey ? app.undo : app.redo);
  else if (ctrl && (key === 'y' || key === 'Y')) restore(app.redo, app.undo);
  else if (ctrl) handled = false;
  else if (/^[1-9]$/.test(key)) chooseClass(Number(key) - 1);
  else if (key === 'Delete' || key === 'Backspace') deleteSelected();
  else if (key === 'Escape') viewer.select(null);
  else if (key === 'Enter') accept();
  else if (key === 'n' || key === 'PageDown') step(1);
  else if (key === 'p' || key === 'PageUp') step(-1);
  else if (key.startsWith('Arrow')) {
    const d = e.shiftKey ? 10 : 1;
    const [dx, dy] = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, -d], ArrowDown: [0, d] }[key];
    if (viewer.selected && viewer.hooks.editable()) viewer.nudge(viewer.selected, dx, dy);
    else if (key === 'ArrowRight' || key === 'ArrowDown') step(1);
    else step(-1);
  } else if (key === 'l' || key === 'L') toggleLabel(!app.current.label);
  else if (key === 'h' || key === 'H') { $('show-hidden').checked = !$('show-hidden').checked; viewer.showHidden = $('show-hidden').checked; viewer.requestRender(); }
  else if (key === 'v' || key === 'V') switchView(app.viewKind === 'raw' ? 'processed' : 'raw');
  else if (key === 'i' || key === 'I') { $('invert').checked = !$('invert').checked; applyDisplay(); }
  else if (key === 'f' || key === 'F') viewer.fit();
  else if (key === '0') viewer.oneToOne();
  else if (key === '+' || key === '=') viewer.zoomAt(1.25, viewer.cssWidth / 2, viewer.cssHeight / 2);
  else if (key === '-' || key === '_') viewer.zoomAt(0.8, viewer.cssWidth / 2, viewer.cssHeight / 2);
  else if (key === '?') $('help').hidden = false;
  else handled = false;
  if (handled) {
    e.preventDefault();
    showEditState();
  }
}

function wireControls() {
  document.addEventListener('keydown', onKey);
  $('threshold').addEventListener('input', (e) => thresholdMoved(Number(e.target.value), false));
  $('threshold').addEventListener('change', (e) => thresholdMoved(Number(e.target.value), true));
  $('show-hidden').addEventListener('change', (e) => { viewer.showHidden = e.target.checked; viewer.requestRender(); });
  $('export').addEventListener('click', exportReviewed);
  $('label-toggle').addEventListener('change', (e) => toggleLabel(e.target.checked));
  $('accept').addEventListener('click', accept);
  $('pick').addEventListener('click', pickThis);
  $('undo').addEventListener('click', () => { restore(app.undo, app.redo); showEditState(); });
  $('redo').addEventListener('click', () => { restore(app.redo, app.undo); showEditState(); });
  $('delete').addEventListener('click', deleteSelected);
  $('filter').addEventListener('input', applyFilter);
  $('status-filter').addEventListener('change', applyFilter);
  $('view-kind').addEventListener('change', (e) => switchView(e.target.value));
  for (const id of ['contrast', 'brightness', 'invert']) $(id).addEventListener('input', applyDisplay);
  $('reset-display').addEventListener('click', () => {
    $('contrast').value = 0;
    $('brightness').value = 0;
    $('invert').checked = false;
    applyDisplay();
  });
  $('zoom-fit').addEventListener('click', () => viewer.fit());
  $('zoom-one').addEventListener('click', () => viewer.oneToOne());
  $('help-button').addEventListener('click', () => { $('help').hidden = false; });
  $('help-close').addEventListener('click', () => { $('help').hidden = true; });
  // Buttons keep no focus, so Enter and the keys above always reach the page.
  document.querySelectorAll('button').forEach((b) => b.addEventListener('mouseup', () => b.blur()));
  window.addEventListener('pagehide', () => app.saver && app.saver.sendOnExit());
}

// For the browser test (tests/review/test_review_browser.py) and for curious users in the console.
window.review = { app, viewer };

wireControls();
start();
