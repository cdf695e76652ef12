// Livepeer playground page logic: one shared ErrorState renderer, tabs, the
// budget meter, the workflow card built from its descriptor (controls, WHIP
// camera in, WHEP output, live stats), and the API tab's snippets kept in
// sync with the form and filled with this tab's key.
(function () {
  'use strict';
  const $ = (sel) => document.querySelector(sel);
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  const catalogEl = document.getElementById('error-catalog');
  const errorCatalog = catalogEl ? JSON.parse(catalogEl.textContent) : {};
  const KEY_STORE = 'playground.key';
  const KEY_PLACEHOLDER = 'YOUR_PLAYGROUND_KEY';
  const TOKEN_PLACEHOLDER = 'YOUR_PLAYGROUND_TOKEN';

  // ErrorState: the same markup as the server's "errorstate" template.
  function errorState(kind, detail) {
    const base = errorCatalog[kind] || { kind: kind, title: 'Error', detail: '', action: '' };
    return Object.assign({}, base, detail ? { detail: detail } : {});
  }
  function renderErrorState(container, st) {
    container.innerHTML = '';
    if (!st) return;
    const box = document.createElement('div');
    box.className = 'error-state';
    box.dataset.kind = st.kind;
    box.setAttribute('role', 'alert');
    const h = document.createElement('h3'); h.className = 'error-title'; h.textContent = st.title;
    const p = document.createElement('p'); p.className = 'error-detail'; p.textContent = st.detail;
    const a = document.createElement('p'); a.className = 'error-action';
    if (st.actionHref) { const l = document.createElement('a'); l.href = st.actionHref; l.textContent = st.action; a.appendChild(l); }
    else a.textContent = st.action;
    box.append(h, p, a);
    if (st.raw) { // the raw error chain, collapsed (same markup as the template)
      const d = document.createElement('details'); d.className = 'error-raw';
      const sum = document.createElement('summary'); sum.textContent = 'Details';
      const pre = document.createElement('pre'); pre.textContent = st.raw;
      d.append(sum, pre);
      box.appendChild(d);
    }
    container.appendChild(box);
    box.scrollIntoView({ block: 'nearest' });
  }
  window.playground = { renderErrorState, errorState };

  // Copy buttons: data-copy names the element whose text is copied.
  async function copyText(text) {
    window.__copied = text; // what the last copy put on the clipboard (tests read it)
    try { await navigator.clipboard.writeText(text); return true; } catch (e) { /* fall back */ }
    const ta = document.createElement('textarea');
    ta.value = text; document.body.appendChild(ta); ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    ta.remove();
    return ok;
  }
  document.addEventListener('click', async (e) => {
    const b = e.target.closest && e.target.closest('button.copy');
    if (!b || b.disabled) return;
    const src = document.getElementById(b.dataset.copy);
    if (!src) return;
    await copyText(src.textContent);
    const label = b.textContent;
    b.textContent = 'Copied';
    setTimeout(() => { b.textContent = label; }, 1500);
  });

  // Tabs: role=tablist buttons showing the panel named by aria-controls.
  function selectTab(tab, focus) {
    const list = tab.closest('[role="tablist"]');
    for (const t of list.querySelectorAll('[role="tab"]')) {
      const on = t === tab;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute('aria-controls'));
      if (panel) panel.hidden = !on;
    }
    if (focus) tab.focus();
  }
  for (const list of document.querySelectorAll('[role="tablist"]')) {
    const tabs = Array.from(list.querySelectorAll('[role="tab"]'));
    tabs.forEach((t, i) => {
      t.addEventListener('click', () => {
        selectTab(t);
        if (t.id === 'tab-api' || t.id === 'tab-playground') history.replaceState(null, '', '#' + t.getAttribute('aria-controls'));
      });
      t.addEventListener('keydown', (e) => {
        const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
        if (d) { e.preventDefault(); selectTab(tabs[(i + d + tabs.length) % tabs.length], true); }
      });
    });
  }
  if (location.hash === '#api' && $('#tab-api')) selectTab($('#tab-api'));

  // Budget meter: bar widths from the figures (no inline styles: CSP).
  function renderBudget(b) {
    const el = document.getElementById('budget');
    if (!el) return;
    if (b) {
      el.dataset.cap = b.capWei; el.dataset.used = b.spentWei; el.dataset.held = b.reservedWei;
      $('#budget-left').textContent = b.left; $('#budget-left2').textContent = b.left;
      $('#budget-cap').textContent = b.cap; $('#budget-used').textContent = b.used; $('#budget-held').textContent = b.held;
      $('#budget-time').textContent = b.timeLeft ? ' · about ' + b.timeLeft + ' of streaming at ' + b.ratePerHour + ' per hour' : '';
    }
    const cap = Number(el.dataset.cap) || 0;
    const pct = (v) => cap > 0 ? Math.min(100, 100 * Number(v) / cap) : 0;
    el.querySelector('.bar-used').style.width = pct(el.dataset.used) + '%';
    el.querySelector('.bar-held').style.width = pct(el.dataset.held) + '%';
  }
  renderBudget(null);
  async function refreshBudget() {
    const me = await fetch('/api/me').then((x) => x.ok ? x.json() : null).catch(() => null);
    if (me && me.budget) renderBudget(me.budget);
  }

  // /keys: remember a freshly created key in this tab for the snippets.
  const newKey = document.getElementById('new-key');
  if (newKey) sessionStorage.setItem(KEY_STORE, newKey.textContent.trim());

  const card = document.getElementById('workflow-card');
  if (!card) return;
  const wf = JSON.parse(document.getElementById('workflow').textContent);
  const signedIn = !!card.dataset.signedIn;
  const modelSel = $('#model');
  const currentModel = () => (modelSel ? wf.models.find((m) => m.id === modelSel.value) : null) || wf.models[0];

  // ---- API tab: snippets with this tab's key ----
  let snippets = JSON.parse(document.getElementById('snippets').textContent);
  const b64 = (s) => { const u = new TextEncoder().encode(s); let bin = ''; u.forEach((c) => { bin += String.fromCharCode(c); }); return btoa(bin); };
  const theKey = () => sessionStorage.getItem(KEY_STORE) || '';

  // fill writes text into a code element, the placeholders marked.
  function fill(el, text) {
    el.textContent = '';
    const re = new RegExp('(' + KEY_PLACEHOLDER + '|' + TOKEN_PLACEHOLDER + ')');
    for (const part of text.split(re)) {
      if (part === KEY_PLACEHOLDER || part === TOKEN_PLACEHOLDER) {
        const m = document.createElement('mark'); m.className = 'placeholder'; m.textContent = part; el.appendChild(m);
      } else if (part) el.appendChild(document.createTextNode(part));
    }
  }
  function renderSnippets() {
    const key = theKey();
    let go = snippets.go, py = snippets.python, curl = snippets.curl;
    if (key) {
      const token = b64(snippets.tokenJSON.split(KEY_PLACEHOLDER).join(key));
      go = go.split(KEY_PLACEHOLDER).join(key);
      curl = curl.split(KEY_PLACEHOLDER).join(key).split(TOKEN_PLACEHOLDER).join(token);
      py = py.split(TOKEN_PLACEHOLDER).join(token);
    }
    fill($('#snippet-go'), go);
    fill($('#snippet-python'), py);
    fill($('#snippet-curl'), curl);
    // A token is never shown with a placeholder inside: without a key the
    // Python snippet shows the placeholder and cannot be copied.
    const py$ = $('#copy-python');
    py$.disabled = !key;
    py$.title = key ? '' : 'Create a key first: the token carries it';
    const status = $('#key-status');
    if (key && status) status.textContent = 'The snippets carry the key ' + key.slice(0, 12) + '… that this tab created.';
    if (key && $('#create-snippet-key')) $('#create-snippet-key').textContent = 'Create another key';
  }
  renderSnippets();

  const createKeyBtn = $('#create-snippet-key');
  if (createKeyBtn) createKeyBtn.addEventListener('click', async () => {
    createKeyBtn.disabled = true;
    const r = await fetch('/api/keys', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() }, body: JSON.stringify({ name: 'snippet ' + wf.title }) }).catch(() => null);
    const b = r ? await r.json().catch(() => ({})) : {};
    createKeyBtn.disabled = false;
    if (!r || r.status !== 201) {
      renderErrorState($('#snippet-note'), b.error || errorState('signer-down', 'The key could not be created.'));
      $('#snippet-note').hidden = false;
      return;
    }
    sessionStorage.setItem(KEY_STORE, b.key);
    renderSnippets();
  });

  // The snippets follow the form: re-rendered (server side, the same
  // templates) for the model and every parameter, debounced.
  let snipTimer = null;
  function scheduleSnippets() {
    clearTimeout(snipTimer);
    snipTimer = setTimeout(async () => {
      const params = collect(true);
      const note = $('#snippet-note');
      if (!params) { note.hidden = false; note.textContent = 'The snippets show the last valid parameters: fix the highlighted field.'; return; }
      const r = await fetch('/api/snippets', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ workflow: wf.slug, model: currentModel().id, params: params }) }).catch(() => null);
      if (!r || !r.ok) return;
      snippets = await r.json();
      note.hidden = true; note.textContent = '';
      renderSnippets();
      window.__snippetsRendered = (window.__snippetsRendered || 0) + 1;
    }, 250);
  }

  // ---- Controls from the parameter schema ----
  const fields = $('#param-fields');
  const fmt = (v) => (typeof v === 'number' && !Number.isInteger(v)) ? String(Math.round(v * 100) / 100) : String(v);
  function rangeText(p) {
    if (p.hasMin && p.hasMax) return fmt(p.min) + ' – ' + fmt(p.max);
    if (p.hasMin) return 'at least ' + fmt(p.min);
    if (p.hasMax) return 'at most ' + fmt(p.max);
    return '';
  }
  function slider(name, p, value, onInput) {
    const row = document.createElement('div'); row.className = 'slider-row';
    const input = document.createElement('input');
    input.type = 'range'; input.id = name; input.name = name;
    input.min = p.min; input.max = p.max; input.step = p.step || 1; input.value = value;
    const out = document.createElement('output'); out.htmlFor = name; out.textContent = fmt(Number(value));
    input.addEventListener('input', () => { out.textContent = fmt(Number(input.value)); onInput(); });
    row.append(input, out);
    return row;
  }
  function buildFields() {
    if (!fields) return;
    fields.innerHTML = '';
    const defs = currentModel().defaults;
    for (const p of wf.params) {
      const wrap = document.createElement('div');
      wrap.className = 'field';
      const label = document.createElement('label');
      label.textContent = p.label;
      label.htmlFor = 'param-' + p.name;
      if (p.effect) { // what changing it during a run does (streamdiffusion.Diff)
        const badge = document.createElement('span');
        badge.className = 'effect effect-' + p.effect; badge.id = 'effect-' + p.name;
        badge.textContent = p.effect === 'live' ? 'live' : 'reloads';
        badge.title = p.effect === 'live' ? 'Applies to the running stream at once.' : 'Changing it during a run reloads the pipeline: the output pauses while it reloads.';
        label.append(' ', badge);
      }
      wrap.appendChild(label);
      const def = defs[p.name];
      const changed = () => onParamInput(p);
      if (p.type === 'bool') {
        const input = document.createElement('input');
        input.type = 'checkbox'; input.id = 'param-' + p.name; input.name = p.name; input.checked = !!def;
        input.addEventListener('change', changed);
        label.prepend(input, ' ');
        wrap.classList.add('check');
      } else if (p.widget === 'slider') {
        wrap.appendChild(slider('param-' + p.name, p, def, changed));
      } else if (p.widget === 'steps') {
        const box = document.createElement('div'); box.className = 'steps-row'; box.id = 'param-' + p.name; box.setAttribute('role', 'group');
        const count = document.createElement('select'); count.id = 'param-' + p.name + '-count'; count.setAttribute('aria-label', p.label + ': how many');
        for (let n = p.minItems; n <= p.maxItems; n++) { const o = document.createElement('option'); o.value = n; o.textContent = n + (n === 1 ? ' step' : ' steps'); count.appendChild(o); }
        const list = (def || []).slice();
        count.value = list.length;
        const sliders = document.createElement('div');
        const draw = () => {
          sliders.innerHTML = '';
          const steps = Number(document.getElementById('param-' + p.itemsBelow) ? document.getElementById('param-' + p.itemsBelow).value : p.max + 1);
          const n = Number(count.value);
          while (list.length < n) list.push(Math.min(steps - 1, (list[list.length - 1] || 0) + 8));
          list.length = n;
          list.forEach((v, i) => {
            const q = Object.assign({}, p, { min: 0, max: Math.max(0, steps - 1), step: 1 });
            const row = slider('param-' + p.name + '-' + i, q, Math.min(v, q.max), () => { list[i] = Number(document.getElementById('param-' + p.name + '-' + i).value); changed(); });
            row.querySelector('input').setAttribute('aria-label', p.label + ' ' + (i + 1));
            sliders.appendChild(row);
          });
        };
        count.addEventListener('change', () => { draw(); changed(); });
        box.append(count, sliders);
        box.redraw = draw;
        box.values = () => list.map((_, i) => Number(document.getElementById('param-' + p.name + '-' + i).value));
        wrap.appendChild(box);
        draw();
      } else if (p.type === 'text' || p.type === 'textarea') {
        const input = document.createElement(p.type === 'textarea' ? 'textarea' : 'input');
        input.id = 'param-' + p.name; input.name = p.name; input.rows = 2;
        input.value = def == null ? '' : def;
        input.addEventListener('input', changed);
        wrap.appendChild(input);
      } else {
        const row = document.createElement('div'); row.className = 'slider-row';
        const input = document.createElement('input');
        input.type = 'number'; input.id = 'param-' + p.name; input.name = p.name;
        if (p.hasMin) input.min = p.min;
        if (p.hasMax) input.max = p.max;
        input.step = p.step || 1; input.value = def;
        input.addEventListener('input', changed);
        row.appendChild(input);
        if (p.name === 'seed') {
          const dice = document.createElement('button'); dice.type = 'button'; dice.textContent = 'Random'; dice.id = 'seed-random';
          dice.addEventListener('click', () => { input.value = Math.floor(Math.random() * 1e9); changed(); });
          row.appendChild(dice);
        }
        wrap.appendChild(row);
      }
      const hint = document.createElement('small');
      const range = rangeText(p.widget === 'steps' ? Object.assign({}, p, { hasMin: false, hasMax: false }) : p);
      hint.textContent = (p.help || '') + (range && p.widget !== 'steps' ? ' Range ' + range + '.' : '') +
        (def != null && p.type !== 'textarea' ? ' Default ' + (Array.isArray(def) ? def.join(', ') : p.type === 'bool' ? (def ? 'on' : 'off') : fmt(def)) + '.' : '') +
        (p.effect === 'reload' ? ' Changing it during a run reloads the pipeline.' : '');
      hint.className = 'range-hint';
      const err = document.createElement('span'); err.className = 'field-error'; err.id = 'err-' + p.name;
      wrap.append(hint, err);
      fields.appendChild(wrap);
    }
  }

  // Client-side validation: the same rules as workflow.Param.coerce.
  function readParam(p) {
    const el = document.getElementById('param-' + p.name);
    if (p.widget === 'steps') {
      const out = el.values();
      const lim = Number(document.getElementById('param-' + p.itemsBelow).value);
      out.forEach((v, i) => {
        if (i > 0 && v < out[i - 1]) throw p.label + ': each step must be at or after the one before';
        if (v >= lim) throw p.label + ': every step must be below the schedule length (' + lim + ')';
      });
      return out;
    }
    if (p.type === 'bool') return el.checked;
    const raw = el.value;
    if (p.type === 'text' || p.type === 'textarea') {
      if (p.maxLen && raw.length > p.maxLen) throw p.label + ': at most ' + p.maxLen + ' characters';
      return raw;
    }
    const v = Number(raw);
    if (raw.trim() === '' || Number.isNaN(v)) throw p.label + ': a number, ' + rangeText(p);
    if (p.type === 'int' && !Number.isInteger(v)) throw p.label + ': a whole number, ' + rangeText(p);
    if ((p.hasMin && v < p.min) || (p.hasMax && v > p.max)) throw p.label + ': ' + rangeText(p) + ', not ' + v;
    return v;
  }
  // collect reads every parameter (null when one is invalid; quiet leaves
  // the field errors as they are).
  function collect(quiet) {
    if (!fields) return Object.assign({}, currentModel().defaults, {});
    const out = {}; let ok = true;
    for (const p of wf.params) {
      const e = document.getElementById('err-' + p.name);
      try { out[p.name] = readParam(p); if (!quiet) e.textContent = ''; } catch (msg) { if (!quiet) e.textContent = msg; ok = false; }
    }
    return ok ? out : null;
  }

  let runState = null; // {id, stream, pcIn, pcOut, poll, started, frames...}
  let pending = {}; let pendingTimer = null;

  function onParamInput(p) {
    const e = document.getElementById('err-' + p.name);
    let v;
    try { v = readParam(p); e.textContent = ''; } catch (msg) { e.textContent = msg; scheduleSnippets(); return; }
    if (p.name === 'num_inference_steps') { // redraw and re-check the dependent list
      const t = wf.params.find((q) => q.itemsBelow === p.name);
      if (t) {
        const box = document.getElementById('param-' + t.name);
        if (box && box.redraw) box.redraw();
        try { pending[t.name] = readParam(t); document.getElementById('err-' + t.name).textContent = ''; } catch (msg) { document.getElementById('err-' + t.name).textContent = msg; scheduleSnippets(); return; }
      }
    }
    pending[p.name] = v;
    scheduleSnippets();
    if (!runState || !runState.id) return; // a run still starting gets them once it polls
    clearTimeout(pendingTimer);
    pendingTimer = setTimeout(() => { pendingTimer = null; sendParams(); }, wf.controlDebounceMs || 300);
  }

  async function sendParams() {
    if (!runState || !runState.id) return;
    const patch = pending; pending = {};
    const r = await fetch('/api/runs/' + runState.id + '/params', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() }, body: JSON.stringify(patch) });
    const b = await r.json().catch(() => ({}));
    if (!r.ok) {
      // The server's validation (streamdiffusion's Params.Validate): the
      // field, the value and the range, next to the field and in the box.
      if (b.field && document.getElementById('err-' + b.field)) document.getElementById('err-' + b.field).textContent = b.error.detail;
      if (b.error) renderErrorState(errBox, b.error);
    } else {
      window.__paramsSent = (window.__paramsSent || 0) + 1;
      if (errBox.querySelector('.error-state[data-kind="invalid-params"]')) renderErrorState(errBox, null);
      const note = $('#param-notice');
      if (note && b.effect === 'reload') {
        const names = (b.changed || []).map((f) => { const q = wf.params.find((x) => x.name === f); return q ? q.label : f; });
        note.textContent = 'Changing ' + names.join(', ') + ' reloads the pipeline: the output pauses while it reloads.';
        note.hidden = false;
      } else if (note && b.effect === 'live') {
        note.textContent = ''; note.hidden = true;
      }
      window.__paramEffect = b.effect || '';
    }
  }

  if (modelSel) modelSel.addEventListener('change', () => { buildFields(); scheduleSnippets(); });
  buildFields();
  if (!signedIn) return;

  // ---- Running ----
  const errBox = $('#error-box');
  const statusEl = $('#status');
  const runBtn = $('#run');
  const stopBtn = $('#stop');

  // The account's live runs, each with a Stop button (the too-many-runs state).
  function renderRunList(container, runs) {
    const ul = document.createElement('ul');
    ul.className = 'run-list';
    for (const rs of runs) {
      const li = document.createElement('li');
      li.dataset.runId = rs.id;
      const since = Math.max(0, Math.round((Date.now() - Date.parse(rs.startedAt)) / 1000));
      li.textContent = rs.model + ' · ' + rs.state + ' · started ' + since + ' s ago ';
      const b = document.createElement('button');
      b.type = 'button'; b.className = 'stop-run'; b.textContent = 'Stop';
      b.addEventListener('click', async () => {
        b.disabled = true;
        await fetch('/api/runs/' + rs.id, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf() } }).catch(() => {});
        li.remove();
        if (!ul.children.length) renderErrorState(container, null);
      });
      li.appendChild(b);
      ul.appendChild(li);
    }
    const box = container.querySelector('.error-state') || container;
    box.appendChild(ul);
  }

  function h264Only(transceiver) {
    const caps = (RTCRtpSender.getCapabilities && RTCRtpSender.getCapabilities('video')) || { codecs: [] };
    const h264 = caps.codecs.filter((c) => /h264/i.test(c.mimeType));
    if (!h264.length) return false;
    try { transceiver.setCodecPreferences(h264); } catch (e) { /* older browsers: rely on SDP order */ }
    return true;
  }

  function gathered(pc) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((res) => {
      const t = setTimeout(res, 3000);
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') { clearTimeout(t); res(); } });
    });
  }

  // exchange is a WHIP/WHEP POST; a refusal throws the run's own ErrorState.
  async function exchange(pc, url) {
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await gathered(pc);
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp', 'X-CSRF-Token': csrf() }, body: pc.localDescription.sdp });
    if (r.status !== 201) {
      const b = await r.json().catch(() => null);
      throw (b && b.error) ? b.error : errorState('pipeline-error', 'Media negotiation failed (HTTP ' + r.status + ').');
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
  }

  function setStatus(s) { statusEl.textContent = s; statusEl.dataset.state = s; }
  function setRunning(on) {
    runBtn.disabled = on; stopBtn.disabled = !on;
    runBtn.setAttribute('aria-disabled', on ? 'true' : 'false');
  }
  const clock = (secs) => Math.floor(secs / 60) + ':' + String(Math.floor(secs % 60)).padStart(2, '0');

  async function run() {
    if (runState) return;
    // runState exists from the click on, so Stop during start-up cancels
    // it: every step below checks it is still the current run.
    const st = { id: null, clicked: performance.now(), frames: 0, fpsMark: { t: performance.now(), n: 0 } };
    runState = st;
    const gone = () => runState !== st;
    renderErrorState(errBox, null);
    $('#run-summary').hidden = true;
    pending = {}; // the form as it is now goes with the start
    const params = collect();
    if (!params) { runState = null; renderErrorState(errBox, errorState('invalid-params', 'Fix the highlighted fields.')); return; }
    setRunning(true);
    setStatus('Starting camera');
    window.__frames = 0; window.__firstFrameAt = undefined; window.__run = undefined;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 512 }, height: { ideal: 512 } }, audio: false });
    } catch (e) {
      if (gone()) return;
      runState = null;
      renderErrorState(errBox, errorState('camera-denied', 'The browser said: ' + (e && e.name ? e.name : e) + '.'));
      setRunning(false); setStatus('Idle'); return;
    }
    st.stream = stream;
    if (gone()) { stream.getTracks().forEach((t) => t.stop()); return; }
    $('#local').srcObject = stream;
    const r = await fetch('/api/runs', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify({ workflow: wf.slug, model: currentModel().id, params: params }) }).catch(() => null);
    const body = r ? await r.json().catch(() => ({})) : {};
    if (r && r.status === 201) st.id = body.id;
    if (gone()) { // stopped meanwhile: end what was created
      if (st.id) fetch('/api/runs/' + st.id, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf() } }).catch(() => {});
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    if (!r || r.status !== 201) {
      runState = null;
      if (body.field && document.getElementById('err-' + body.field)) document.getElementById('err-' + body.field).textContent = body.error.detail;
      renderErrorState(errBox, body.error || errorState('signer-down', r ? 'HTTP ' + r.status : 'The server cannot be reached.'));
      if (body.runs) renderRunList(errBox, body.runs);
      stream.getTracks().forEach((t) => t.stop());
      setRunning(false); setStatus('Idle'); return;
    }
    window.__runStarted = st.clicked;
    $('#frames').textContent = '0';
    setStatus('Connecting');
    $('#stat-time').textContent = '0:00'; $('#stat-latency').textContent = '–'; $('#stat-fps').textContent = '–'; $('#stat-spent').textContent = '0 ETH';
    $('#run-stats').hidden = false;
    try {
      const pcIn = new RTCPeerConnection();
      st.pcIn = pcIn;
      const tr = pcIn.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
      if (!h264Only(tr)) throw errorState('codec-unsupported');
      await exchange(pcIn, body.whip);
      if (gone()) return;
      const pcOut = new RTCPeerConnection();
      st.pcOut = pcOut;
      const tr2 = pcOut.addTransceiver('video', { direction: 'recvonly' });
      h264Only(tr2);
      pcOut.ontrack = (ev) => {
        const v = $('#output');
        v.srcObject = ev.streams[0] || new MediaStream([ev.track]);
        countFrames(v, st);
      };
      await exchange(pcOut, body.whep);
    } catch (e) {
      if (gone()) return; // stopped meanwhile: its end says nothing new
      renderErrorState(errBox, e && e.kind ? e : errorState('pipeline-error', String(e)));
      await stop(true);
      return;
    }
    if (gone()) return;
    setStatus('Warming up');
    st.poll = setInterval(poll, 1000);
  }

  function countFrames(v, st) {
    window.__frames = 0;
    const tick = () => {
      if (runState !== st) return;
      window.__frames++;
      st.frames++;
      if (st.frames === 1) { window.__firstFrameAt = performance.now(); st.firstFrame = window.__firstFrameAt; }
      $('#frames').textContent = window.__frames;
      v.requestVideoFrameCallback(tick);
    };
    if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(tick);
  }

  // Average colour of a video (for the transform check).
  window.__probe = function (id) {
    const v = document.getElementById(id || 'output');
    const c = document.getElementById('probe');
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(v, 0, 0, c.width, c.height);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let r = 0, g = 0, b = 0;
    for (let i = 0; i < d.length; i += 4) { r += d[i]; g += d[i + 1]; b += d[i + 2]; }
    const n = d.length / 4;
    return [r / n, g / n, b / n];
  };

  async function poll() {
    const st = runState;
    if (!st) return;
    const r = await fetch('/api/runs/' + st.id);
    if (r.status === 401) { renderErrorState(errBox, errorState('signed-out')); await stop(true); return; }
    if (!r.ok || runState !== st) return;
    const s = await r.json();
    window.__run = s;
    st.last = s;
    if (Object.keys(pending).length && !pendingTimer) sendParams();
    setStatus(s.state === 'running' ? (st.frames > 0 ? 'Running' : 'Warming up') : s.state);
    const now = performance.now();
    const fps = (st.frames - st.fpsMark.n) / ((now - st.fpsMark.t) / 1000);
    st.fpsMark = { t: now, n: st.frames };
    $('#stat-time').textContent = clock(s.seconds);
    $('#stat-latency').textContent = s.latencyMs ? (s.latencyMs / 1000).toFixed(1) + ' s' : '–';
    $('#stat-fps').textContent = st.frames > 0 ? Math.round(fps) + ' fps' : '–';
    $('#stat-spent').textContent = s.spent;
    refreshBudget();
    if (s.error) { renderErrorState(errBox, s.error); await stop(true); }
  }

  // stop ends the run; keepError leaves the error box as it is. A summary
  // of the run (duration, cost, frames) replaces the live figures.
  async function stop(keepError) {
    const st = runState; runState = null;
    if (st) {
      clearInterval(st.poll);
      if (st.pcIn) st.pcIn.close();
      if (st.pcOut) st.pcOut.close();
      if (st.stream) st.stream.getTracks().forEach((t) => t.stop());
    }
    if (st && st.id) { // run() ends a run stopped before its id came back
      await fetch('/api/runs/' + st.id, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf() } }).catch(() => {});
      const r = await fetch('/api/runs/' + st.id).catch(() => null);
      const s = (r && r.ok) ? await r.json().catch(() => st.last) : st.last;
      $('#run-stats').hidden = true;
      const sum = $('#run-summary');
      if (s) {
        sum.textContent = 'Run ended: ' + clock(s.seconds) + ' long · cost ' + s.spent + ' in ' + s.payments + (s.payments === 1 ? ' payment' : ' payments') +
          ' · ' + st.frames + ' output frames' + (s.latencyMs ? ' · last latency ' + (s.latencyMs / 1000).toFixed(1) + ' s' : '') + '.';
        sum.hidden = false;
        window.__summary = s;
      }
      refreshBudget();
    }
    setRunning(false);
    setStatus(keepError ? 'Stopped' : 'Idle');
  }

  runBtn.addEventListener('click', (e) => { e.preventDefault(); run(); });
  stopBtn.addEventListener('click', (e) => { e.preventDefault(); stop(); });
})();
