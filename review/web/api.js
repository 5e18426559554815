// api.js: talking to `yolopick review`'s server (review/server.h lists the routes), and the saver that makes
// sure no edit is lost: every change is kept in this browser (localStorage) until the server has written it,
// saves are sent one at a time, failed ones are retried, and edits left over from a closed tab or a stopped
// server are sent again when the page next opens.

const token = new URLSearchParams(location.search).get('token');

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(extra = {}) {
  return token ? { 'X-Review-Token': token, ...extra } : extra;
}

async function failure(response) {
  let message = `HTTP ${response.status}`;
  try {
    message = (await response.json()).error || message;
  } catch (_) { /* not JSON: keep the status */ }
  return new ApiError(response.status, message);
}

// fetch() itself fails (TypeError) only when no answer came: say so in words a user can act on.
async function send(path, options) {
  try {
    return await fetch(path, options);
  } catch (_) {
    throw new ApiError(0, 'the review server does not answer (stopped?)');
  }
}

export async function getJson(path) {
  const response = await send(path, { headers: headers(), cache: 'no-store' });
  if (!response.ok) throw await failure(response);
  return response.json();
}

export async function postJson(path, body, options = {}) {
  const response = await send(path, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
    keepalive: options.keepalive || false,
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

// One tile of a view: grey bytes -> an ImageBitmap the canvas can draw.
export async function getTile(path) {
  const response = await send(path, { headers: headers() });
  if (!response.ok) throw await failure(response);
  const width = Number(response.headers.get('X-Tile-Width'));
  const height = Number(response.headers.get('X-Tile-Height'));
  const grey = new Uint8Array(await response.arrayBuffer());
  if (!(width > 0 && height > 0) || grey.length !== width * height) throw new ApiError(500, `bad tile ${path}`);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < grey.length; ++i, j += 4) {
    rgba[j] = rgba[j + 1] = rgba[j + 2] = grey[i];
    rgba[j + 3] = 255;
  }
  return createImageBitmap(new ImageData(rgba, width, height));
}

export const micrographPath = (name) => `/api/micrographs/${encodeURIComponent(name)}`;

// Saves of one session. `pending` maps micrograph name -> the body to save; it mirrors localStorage under
// `storageKey` so that edits survive a closed tab, a crashed browser or a server that was stopped.
export class Saver {
  constructor(storageKey, onChange) {
    this.storageKey = storageKey;
    this.onChange = onChange;           // (event) => void: {kind: 'saving'|'saved'|'error'|'pending', ...}
    this.pending = new Map(Object.entries(this.#load()));
    this.inFlight = null;
    this.timer = null;
    this.retryDelay = 1000;
  }

  #load() {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey) || '{}');
    } catch (_) {
      return {};
    }
  }

  #store() {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(Object.fromEntries(this.pending)));
    } catch (_) { /* storage full or disabled: the server save still runs */ }
  }

  get unsaved() { return this.pending.size + (this.inFlight ? 1 : 0); }
  has(name) { return this.pending.has(name) || this.inFlight === name; }

  // Queue a save of `name`; `delayMs` lets a burst of edits (a drag, key repeats) become one write.
  queue(name, body, delayMs = 250) {
    this.pending.set(name, body);
    this.#store();
    this.onChange({ kind: 'pending', name });
    this.#schedule(delayMs);
  }

  // Sends everything queued now; resolves when nothing is left (or rejects with the first error).
  async flush() {
    clearTimeout(this.timer);
    this.timer = null;
    while (this.pending.size > 0) await this.#sendOne();
  }

  #schedule(delayMs) {
    if (this.timer || this.inFlight) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.#drain();
    }, delayMs);
  }

  async #drain() {
    try {
      while (this.pending.size > 0) await this.#sendOne();
      this.retryDelay = 1000;
    } catch (error) {
      // Not saved: keep it (and in localStorage) and try again later; an edit resets the wait.
      this.retryDelay = Math.min(this.retryDelay * 2, 15000);
      if (!(error instanceof ApiError && error.status >= 400 && error.status < 500)) this.#schedule(this.retryDelay);
    }
  }

  async #sendOne() {
    if (this.inFlight) {  // another caller is sending: wait for it
      await new Promise((resolve) => setTimeout(resolve, 20));
      return;
    }
    const [name, body] = this.pending.entries().next().value;
    this.pending.delete(name);
    this.inFlight = name;
    this.onChange({ kind: 'saving', name });
    try {
      const result = await postJson(`${micrographPath(name)}/boxes`, body);
      this.inFlight = null;
      this.#store();
      this.onChange({ kind: 'saved', name, result, body });
    } catch (error) {
      this.inFlight = null;
      // A 4xx means the server refused this body and would refuse it again: it is dropped (the message stays
      // on the page). Anything else (server stopped, 5xx) is kept, unless a newer edit replaced it, and retried.
      const refused = error instanceof ApiError && error.status >= 400 && error.status < 500;
      if (!refused && !this.pending.has(name)) this.pending.set(name, body);
      this.#store();
      this.onChange({ kind: 'error', name, error });
      throw error;
    }
  }

  // The page is going away: hand what is left to the browser, which sends it even after the tab closes
  // (keepalive requests are limited to 64 kB; larger ones stay in localStorage for the next visit).
  sendOnExit() {
    for (const [name, body] of this.pending) {
      const text = JSON.stringify(body);
      if (text.length < 60000) postJson(`${micrographPath(name)}/boxes`, body, { keepalive: true }).catch(() => {});
    }
  }
}
