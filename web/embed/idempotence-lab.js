// Idempotent Producer Lab: embed live simulators in any docs page.
//
//   <div data-idempotence-lab data-scenario="lost-ack" data-autoplay="1"></div>
//   <script defer src="https://your.site/lab/embed/idempotence-lab.js"></script>
//
// Every [data-idempotence-lab] element becomes an <iframe> of the lab's embed mode, created
// when it scrolls into view, paused while off-screen, sized from the frame's `resize`
// messages, and following the host's light/dark theme with data-theme="auto" (the default).
// No dependencies, no requests other than the iframe. Works as a module or a classic script
// (mdBook's additional-js), so it uses neither import/export nor import.meta.
// Protocol: see web/examples/index.html ("iframe protocol v1").
(() => {
  'use strict';
  if (window.IdempotenceLab) return; // loaded twice: keep the first

  const FRAME_SOURCE = 'idempotence-lab';
  const HOST_SOURCE = 'idempotence-lab-host';
  const VERSION = 1;
  const DEFAULT_HEIGHT = 480;

  // <site>/embed/idempotence-lab.js -> <site>/index.html
  const scriptUrl =
    (document.currentScript && document.currentScript.src) ||
    [...document.querySelectorAll('script[src]')].map((s) => s.src).find((s) => /\/idempotence-lab\.js(\?|#|$)/.test(s)) ||
    location.href;
  const defaultSrc = new URL('../index.html', scriptUrl).href;

  const oneOf = (...values) => (v) => (values.includes(v) ? v : undefined);
  const bool = (v) => ({ 1: '1', true: '1', yes: '1', 0: '0', false: '0', no: '0' })[String(v).toLowerCase()];
  const wholeMs = (v) => (/^\d{1,15}$/.test(String(v)) ? String(Number(v)) : undefined);
  const speed = (v) => (Number(v) > 0 && Number(v) <= 64 ? String(Number(v)) : undefined);
  const scenario = (v) => {
    const s = String(v).trim();
    if (/^[a-z0-9][a-z0-9-]{0,63}$/.test(s)) return s;
    if (s.startsWith('{')) {
      try {
        return JSON.stringify(JSON.parse(s)); // compact; the frame validates the content
      } catch {
        return undefined;
      }
    }
    return undefined;
  };
  // option -> [URL param, validator, what is expected]
  const OPTIONS = {
    scenario: ['scenario', scenario, 'a preset id (e.g. lost-ack) or scenario JSON'],
    seed: ['seed', wholeMs, 'a whole number ≥ 0'],
    autoplay: ['autoplay', bool, '0 or 1'],
    speed: ['speed', speed, 'a number above 0, at most 64'],
    controls: ['controls', oneOf('full', 'minimal', 'none'), 'full, minimal or none'],
    theme: ['theme', oneOf('auto', 'light', 'dark'), 'auto, light or dark'],
    compare: ['compare', bool, '0 or 1'],
    t: ['t', wholeMs, 'a time in ms'],
  };

  const instances = [];
  let counter = 0;

  function hostTheme() {
    const html = document.documentElement;
    const attr = html.getAttribute('data-theme') || html.getAttribute('data-color-scheme');
    if (attr === 'dark' || attr === 'light') return attr;
    const cls = html.classList;
    // mdBook themes are classes on <html>; `dark` is the common class convention.
    if (['dark', 'coal', 'navy', 'ayu'].some((c) => cls.contains(c))) return 'dark';
    if (['light', 'rust'].some((c) => cls.contains(c))) return 'light';
    return 'auto'; // no explicit host theme: the frame follows prefers-color-scheme itself
  }

  function injectStyle() {
    if (document.getElementById('idempotence-lab-style')) return;
    const style = document.createElement('style');
    style.id = 'idempotence-lab-style';
    style.textContent = `
[data-idempotence-lab]{display:block;position:relative;max-width:100%}
.idempotence-lab-frame{display:block;box-sizing:border-box;width:100%;border:1px solid rgba(127,127,127,.35);border-radius:8px;background:transparent;transition:height .15s}
.idempotence-lab-placeholder{box-sizing:border-box;display:flex;align-items:center;justify-content:center;flex-direction:column;gap:.5em;width:100%;border:1px dashed rgba(127,127,127,.5);border-radius:8px;font:14px/1.4 system-ui,sans-serif;color:inherit;text-align:center;padding:1em}
.idempotence-lab-placeholder button{font:inherit;padding:.3em .9em;border-radius:6px;border:1px solid currentColor;background:transparent;color:inherit;cursor:pointer}
.idempotence-lab-warning{margin:0 0 .4em;padding:.35em .6em;border-left:3px solid #d97706;background:rgba(217,119,6,.12);font:13px/1.4 system-ui,sans-serif;color:inherit}`;
    document.head.appendChild(style);
  }

  class Instance {
    constructor(el, options) {
      this.element = el;
      this.id = String(options.id || el.getAttribute('data-id') || el.id || `idempotence-lab-${++counter}`);
      this.iframe = null;
      this.ready = false;
      this.state = null;
      this.warnings = [];
      this._queue = [];
      this._handlers = new Map();
      this._resumeWhenVisible = false;
      this._visible = false;
      this._pendingHeight = null;

      const read = (name) => (name in options ? options[name] : el.getAttribute(`data-${name}`));
      this.params = new URLSearchParams({ embed: '1' });
      for (const [name, [param, valid, expected]] of Object.entries(OPTIONS)) {
        const raw = read(name);
        if (raw === null || raw === undefined || raw === '') continue;
        const value = valid(raw);
        if (value === undefined) this.warnings.push(`data-${name}="${String(raw).slice(0, 40)}" is not ${expected}; using the default.`);
        else this.params.set(param, value);
      }
      this.themeSetting = this.params.get('theme') || 'auto';
      if (this.themeSetting === 'auto') this.params.set('theme', hostTheme());
      this.params.set('id', this.id);
      if (location.origin && location.origin !== 'null') this.params.set('allow_origins', location.origin);

      const src = read('src');
      this.src = new URL(src || defaultSrc, location.href);
      this.src.search = this.params.toString();
      this.origin = this.src.origin;
      this.title = read('title') || 'Idempotent Producer Lab: interactive Kafka idempotent producer simulation';
      const h = Number(read('height'));
      this.height = h >= 100 && h <= 4000 ? h : DEFAULT_HEIGHT;

      el.textContent = '';
      this._warning = null;
      if (this.warnings.length) this._warn([]);
      this.placeholder = document.createElement('div');
      this.placeholder.className = 'idempotence-lab-placeholder';
      this.placeholder.style.height = `${this.height}px`;
      const label = document.createElement('span');
      label.textContent = 'Idempotent Producer Lab loads when it scrolls into view.';
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Load it now';
      button.addEventListener('click', () => this.load_());
      this.placeholder.append(label, button);
      el.appendChild(this.placeholder);
    }

    /** Shows the warnings (this.warnings plus `more`) above the frame, and in the console. */
    _warn(more) {
      this.warnings.push(...more);
      if (!this._warning) {
        this._warning = document.createElement('p');
        this._warning.className = 'idempotence-lab-warning';
        this._warning.setAttribute('role', 'status');
        this.element.prepend(this._warning);
      }
      this._warning.textContent = `Idempotent Producer Lab: ${this.warnings.join(' ')}`;
      console.warn(`[idempotence-lab] ${this.id}: ${this.warnings.join(' ')}`);
    }

    /** Creates the iframe (idempotent). */
    load_() {
      if (this.iframe) return this.iframe;
      const f = document.createElement('iframe');
      f.className = 'idempotence-lab-frame';
      f.title = this.title;
      f.loading = 'lazy';
      f.setAttribute('allow', 'clipboard-write');
      f.style.height = `${this.height}px`;
      f.src = this.src.href;
      this.iframe = f;
      this.placeholder.replaceWith(f);
      return f;
    }

    _post(msg) {
      const full = { source: HOST_SOURCE, version: VERSION, ...msg };
      if (this.ready && this.iframe && this.iframe.contentWindow) this.iframe.contentWindow.postMessage(full, this.origin);
      else {
        this._queue.push(full);
        this.load_();
      }
    }

    _receive(data) {
      if (data.type === 'ready') {
        this.ready = true;
        // What the frame refused in its parameters (e.g. compare on a transaction preset).
        const notices = Array.isArray(data.notices) ? data.notices.filter((n) => typeof n === 'string').slice(0, 8) : [];
        if (notices.length) this._warn(notices.map((n) => n.slice(0, 300)));
        const queued = this._queue.splice(0);
        for (const m of queued) this.iframe.contentWindow.postMessage(m, this.origin);
      } else if (data.type === 'resize') {
        const h = Math.round(Number(data.height));
        if (h >= 50 && h <= 20000) {
          // Off-screen, the frame keeps its size: a change there would shift the page under
          // the reader. It takes the newest height when it scrolls back into view.
          if (this._visible) this._resize(h);
          else this._pendingHeight = h;
        }
      } else if (data.type === 'state' && data.state && typeof data.state === 'object') {
        this.state = data.state;
        if (!this._visible && data.state.playing) this._pauseIfOffscreen();
      }
      this._emit(data.type, data);
    }

    _resize(h) {
      this.height = h;
      this._pendingHeight = null;
      const cs = getComputedStyle(this.iframe);
      const borders = parseFloat(cs.borderTopWidth) + parseFloat(cs.borderBottomWidth) || 0;
      this.iframe.style.height = `${h + borders}px`; // border-box: the viewport gets exactly h
    }

    _emit(type, data) {
      for (const t of [type, '*']) for (const fn of this._handlers.get(t) || []) {
        try {
          fn(data, this);
        } catch (e) {
          console.error(e);
        }
      }
    }

    _setVisible(visible) {
      this._visible = visible;
      if (visible) {
        this.load_();
        if (this._pendingHeight) this._resize(this._pendingHeight);
        if (this._resumeWhenVisible) {
          this._resumeWhenVisible = false;
          this._post({ type: 'play' });
        }
      } else this._pauseIfOffscreen();
    }

    _pauseIfOffscreen() {
      if (this.ready && this.state && this.state.playing) {
        this._resumeWhenVisible = true;
        this._post({ type: 'pause' });
      }
    }

    play() {
      this._resumeWhenVisible = false;
      this._post({ type: 'play' });
      return this;
    }
    pause() {
      this._resumeWhenVisible = false;
      this._post({ type: 'pause' });
      return this;
    }
    step() {
      this._post({ type: 'step' });
      return this;
    }
    seek(ms) {
      if (!(Number(ms) >= 0)) throw new RangeError(`seek: expected a time in ms ≥ 0, got ${ms}`);
      this._post({ type: 'seek', time_ms: Math.floor(Number(ms)) });
      return this;
    }
    load(scenarioValue, seed) {
      const msg = { type: 'load', scenario: typeof scenarioValue === 'string' ? scenarioValue : JSON.stringify(scenarioValue) };
      if (seed !== undefined && seed !== null) msg.seed = Number(seed);
      this._post(msg);
      return this;
    }
    setTheme(theme) {
      if (!['auto', 'light', 'dark'].includes(theme)) throw new RangeError(`setTheme: expected auto, light or dark, got ${theme}`);
      this.themeSetting = theme;
      this._post({ type: 'set-theme', theme: theme === 'auto' ? hostTheme() : theme });
      return this;
    }
    /** Removes the lab (iframe, observers); the element stays, empty. */
    destroy() {
      if (hasIO) {
        nearObserver.unobserve(this.element);
        visibleObserver.unobserve(this.element);
      }
      const at = instances.indexOf(this);
      if (at >= 0) instances.splice(at, 1);
      this.element.textContent = '';
      this.iframe = null;
      this.ready = false;
      this._handlers.clear();
    }
    /** Calls fn(message, instance) for 'ready' | 'resize' | 'state' | '*'; returns an unsubscribe function. */
    on(type, fn) {
      if (!this._handlers.has(type)) this._handlers.set(type, new Set());
      this._handlers.get(type).add(fn);
      return () => this._handlers.get(type).delete(fn);
    }
  }

  // Two observers: one creates the frame a little before it scrolls into view, the other
  // pauses it while none of it is on screen (and resumes it if it was playing).
  const hasIO = 'IntersectionObserver' in window;
  const byElement = (e) => instances.find((i) => i.element === e.target);
  const nearObserver =
    hasIO &&
    new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          nearObserver.unobserve(e.target);
          byElement(e)?.load_();
        }
      },
      { rootMargin: '300px 0px' },
    );
  const visibleObserver =
    hasIO &&
    new IntersectionObserver((entries) => {
      for (const e of entries) byElement(e)?._setVisible(e.isIntersecting);
    });

  function mount(el, options = {}) {
    if (!(el instanceof Element)) throw new TypeError('IdempotenceLab.mount: expected an element');
    const existing = instances.find((i) => i.element === el);
    if (existing) return existing;
    injectStyle();
    const inst = new Instance(el, options);
    instances.push(inst);
    if (hasIO) {
      nearObserver.observe(el);
      visibleObserver.observe(el);
    } else inst._setVisible(true);
    return inst;
  }

  function scan(root = document) {
    return [...root.querySelectorAll('[data-idempotence-lab]')].map((el) => mount(el));
  }

  window.addEventListener('message', (event) => {
    const data = event.data;
    if (!data || typeof data !== 'object' || data.source !== FRAME_SOURCE || data.version !== VERSION) return;
    const inst = instances.find((i) => i.iframe && i.iframe.contentWindow === event.source);
    if (!inst || inst.origin !== event.origin || (data.id != null && String(data.id) !== inst.id)) return;
    inst._receive(data);
  });

  // Theme: follow the host's <html data-theme|class> and prefers-color-scheme.
  let lastHostTheme = hostTheme();
  const themeChanged = () => {
    const now = hostTheme();
    if (now === lastHostTheme) return;
    lastHostTheme = now;
    for (const i of instances) if (i.themeSetting === 'auto' && i.iframe) i._post({ type: 'set-theme', theme: now });
  };
  new MutationObserver(themeChanged).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ['data-theme', 'data-color-scheme', 'class'],
  });
  const media = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)');
  if (media && media.addEventListener) media.addEventListener('change', themeChanged);

  // A hidden tab counts as off-screen.
  document.addEventListener('visibilitychange', () => {
    for (const i of instances) {
      if (document.hidden) i._pauseIfOffscreen();
      else if (i._visible && i._resumeWhenVisible) i._setVisible(true);
    }
  });

  window.IdempotenceLab = { mount, scan, instances, version: VERSION };

  const start = () => {
    scan();
    // Docs sites that render client-side (Docusaurus, ...) add elements later.
    new MutationObserver((records) => {
      if (records.some((r) => r.addedNodes.length)) scan();
    }).observe(document.body, { childList: true, subtree: true });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})();
