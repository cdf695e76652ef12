// Livepeer playground page logic: one shared ErrorState renderer, the
// workflow card built from its descriptor, WHIP (camera in) and WHEP (output).
(function () {
  'use strict';
  const $ = (sel) => document.querySelector(sel);
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  const catalogEl = document.getElementById('error-catalog');
  const errorCatalog = catalogEl ? JSON.parse(catalogEl.textContent) : {};
  const KEY_STORE = 'playground.key';
  const KEY_PLACEHOLDER = 'YOUR_PLAYGROUND_KEY';

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
  }
  window.playground = { renderErrorState, errorState };

  // /keys: remember a freshly created key in this tab for the snippets.
  const newKey = document.getElementById('new-key');
  if (newKey) sessionStorage.setItem(KEY_STORE, newKey.textContent.trim());

  const card = document.getElementById('workflow-card');
  if (!card) return;
  const wf = JSON.parse(document.getElementById('workflow').textContent);

  // API tab: the user's key in the Go program and in the token.
  const key = sessionStorage.getItem(KEY_STORE) || KEY_PLACEHOLDER;
  const goEl = document.getElementById('snippet-go');
  if (goEl) goEl.textContent = goEl.dataset.template.split(KEY_PLACEHOLDER).join(key);
  const tokEl = document.getElementById('snippet-token');
  if (tokEl) {
    const t = JSON.parse(tokEl.dataset.json.split(KEY_PLACEHOLDER).join(key));
    tokEl.textContent = btoa(JSON.stringify(t));
  }

  if (!card.dataset.signedIn) return;
  const errBox = $('#error-box');
  const statusEl = $('#status');
  const fields = $('#param-fields');
  const modelSel = $('#model');

  function model() { return wf.models.find((m) => m.id === modelSel.value) || wf.models[0]; }

  // Controls from the parameter schema.
  function buildFields() {
    fields.innerHTML = '';
    const defs = model().defaults;
    for (const p of wf.params) {
      const wrap = document.createElement('label');
      wrap.className = 'field';
      wrap.textContent = p.label + ' ';
      let input;
      if (p.type === 'text' || p.type === 'textarea') {
        input = document.createElement(p.type === 'textarea' ? 'textarea' : 'input');
        input.value = defs[p.name] == null ? '' : defs[p.name];
      } else {
        input = document.createElement('input');
        if (p.type === 'intlist') {
          input.value = (defs[p.name] || []).join(', ');
        } else {
          input.type = 'number';
          if (p.hasMin) input.min = p.min;
          if (p.hasMax) input.max = p.max;
          if (p.step) input.step = p.step;
          input.value = defs[p.name];
        }
      }
      input.id = 'param-' + p.name;
      input.name = p.name;
      const help = document.createElement('small'); help.textContent = p.help || '';
      const err = document.createElement('span'); err.className = 'field-error'; err.id = 'err-' + p.name;
      wrap.append(input, help, err);
      fields.appendChild(wrap);
      input.addEventListener('input', () => onParamInput(p));
    }
  }

  function rangeText(p) {
    if (p.hasMin && p.hasMax) return 'between ' + p.min + ' and ' + p.max;
    if (p.hasMin) return 'at least ' + p.min;
    if (p.hasMax) return 'at most ' + p.max;
    return '';
  }

  // Client-side validation: the same rules as workflow.Param.coerce.
  function readParam(p) {
    const el = document.getElementById('param-' + p.name);
    const raw = el.value;
    if (p.type === 'text' || p.type === 'textarea') {
      if (p.maxLen && raw.length > p.maxLen) throw p.name + ': must be at most ' + p.maxLen + ' characters';
      return raw;
    }
    if (p.type === 'intlist') {
      const parts = raw.split(/[\s,]+/).filter((x) => x !== '');
      if (parts.length < p.minItems || (p.maxItems && parts.length > p.maxItems))
        throw p.name + ': must have ' + p.minItems + ' to ' + p.maxItems + ' items';
      const out = parts.map(Number);
      out.forEach((v, i) => {
        if (!Number.isInteger(v)) throw p.name + ': item ' + i + ' must be an integer';
        if ((p.hasMin && v < p.min) || (p.hasMax && v > p.max)) throw p.name + ': item ' + i + ' must be ' + rangeText(p);
        if (p.nonDecreasing && i > 0 && v < out[i - 1]) throw p.name + ': items must be in non-decreasing order';
      });
      if (p.itemsBelow) {
        const lim = Number(document.getElementById('param-' + p.itemsBelow).value);
        out.forEach((v) => { if (v >= lim) throw p.name + ': every item must be below ' + p.itemsBelow + ' (' + lim + ')'; });
      }
      return out;
    }
    const v = Number(raw);
    if (raw.trim() === '' || Number.isNaN(v)) throw p.name + ': must be a number ' + rangeText(p);
    if (p.type === 'int' && !Number.isInteger(v)) throw p.name + ': must be an integer ' + rangeText(p);
    if ((p.hasMin && v < p.min) || (p.hasMax && v > p.max)) throw p.name + ': must be ' + rangeText(p) + '; got ' + v;
    return v;
  }

  function collect() {
    const out = {}; let ok = true;
    for (const p of wf.params) {
      const e = document.getElementById('err-' + p.name);
      try { out[p.name] = readParam(p); e.textContent = ''; } catch (msg) { e.textContent = msg; ok = false; }
    }
    return ok ? out : null;
  }

  let runState = null; // {id, whip, whep, pcIn, pcOut, poll}
  let pending = {}; let pendingTimer = null;

  function onParamInput(p) {
    const e = document.getElementById('err-' + p.name);
    let v;
    try { v = readParam(p); e.textContent = ''; } catch (msg) { e.textContent = msg; return; }
    if (p.name === 'num_inference_steps') { // re-check the dependent list
      const t = wf.params.find((q) => q.itemsBelow === p.name);
      if (t) { try { pending[t.name] = readParam(t); document.getElementById('err-' + t.name).textContent = ''; } catch (msg) { document.getElementById('err-' + t.name).textContent = msg; return; } }
    }
    pending[p.name] = v;
    if (!runState) return;
    clearTimeout(pendingTimer);
    pendingTimer = setTimeout(sendParams, wf.controlDebounceMs || 300);
  }

  async function sendParams() {
    if (!runState) return;
    const patch = pending; pending = {};
    const r = await fetch('/api/runs/' + runState.id + '/params', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() }, body: JSON.stringify(patch) });
    if (!r.ok) {
      const b = await r.json().catch(() => ({}));
      if (b.field) document.getElementById('err-' + b.field).textContent = b.error.detail;
      else if (b.error) renderErrorState(errBox, b.error);
    } else {
      window.__paramsSent = (window.__paramsSent || 0) + 1;
    }
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

  function setStatus(s) { statusEl.textContent = s; statusEl.dataset.state = s; }

  async function run() {
    renderErrorState(errBox, null);
    const params = collect();
    if (!params) { renderErrorState(errBox, errorState('invalid-params', 'Fix the highlighted fields.')); return; }
    $('#run').disabled = true;
    setStatus('Starting camera');
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 512 }, height: { ideal: 512 } }, audio: false });
    } catch (e) {
      renderErrorState(errBox, errorState('camera-denied', 'The browser said: ' + (e && e.name ? e.name : e) + '.'));
      $('#run').disabled = false; setStatus('Idle'); return;
    }
    $('#local').srcObject = stream;
    const r = await fetch('/api/runs', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify({ workflow: wf.slug, model: modelSel.value, params: params }) });
    const body = await r.json().catch(() => ({}));
    if (r.status !== 201) {
      if (body.field) document.getElementById('err-' + body.field).textContent = body.error.detail;
      renderErrorState(errBox, body.error || errorState('pipeline-error', 'HTTP ' + r.status));
      if (body.runs) renderRunList(errBox, body.runs);
      stream.getTracks().forEach((t) => t.stop());
      $('#run').disabled = false; setStatus('Idle'); return;
    }
    runState = { id: body.id, stream: stream };
    pending = {};
    $('#stop').disabled = false;
    setStatus('Connecting');
    try {
      const pcIn = new RTCPeerConnection();
      runState.pcIn = pcIn;
      const tr = pcIn.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
      if (!h264Only(tr)) throw errorState('codec-unsupported');
      await exchange(pcIn, body.whip);
      const pcOut = new RTCPeerConnection();
      runState.pcOut = pcOut;
      const tr2 = pcOut.addTransceiver('video', { direction: 'recvonly' });
      h264Only(tr2);
      pcOut.ontrack = (ev) => {
        const v = $('#output');
        v.srcObject = ev.streams[0] || new MediaStream([ev.track]);
        countFrames(v);
      };
      await exchange(pcOut, body.whep);
    } catch (e) {
      renderErrorState(errBox, e && e.kind ? e : errorState('pipeline-error', String(e)));
      await stop();
      return;
    }
    setStatus('Warming up');
    runState.poll = setInterval(poll, 1000);
  }

  function countFrames(v) {
    window.__frames = 0;
    const tick = () => {
      window.__frames++;
      $('#frames').textContent = window.__frames;
      if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(tick);
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
    if (!runState) return;
    const r = await fetch('/api/runs/' + runState.id);
    if (r.status === 401) { renderErrorState(errBox, errorState('signed-out')); await stop(); return; }
    if (!r.ok) return;
    const s = await r.json();
    setStatus(s.state + ' · in ' + s.inputSegments + ' · out ' + s.outputSegments + ' segments · ' + s.controls + ' updates');
    window.__run = s;
    const me = await fetch('/api/me').then((x) => x.ok ? x.json() : null).catch(() => null);
    if (me && $('#card-spent')) $('#card-spent').textContent = me.spent;
    if (s.error) { renderErrorState(errBox, s.error); await stop(true); }
  }

  async function stop(keepError) {
    const st = runState; runState = null;
    if (st) {
      clearInterval(st.poll);
      if (st.pcIn) st.pcIn.close();
      if (st.pcOut) st.pcOut.close();
      if (st.stream) st.stream.getTracks().forEach((t) => t.stop());
      fetch('/api/runs/' + st.id, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf() } }).catch(() => {});
    }
    $('#run').disabled = false; $('#stop').disabled = true;
    setStatus(keepError ? 'Stopped' : 'Idle');
  }

  modelSel.addEventListener('change', buildFields);
  $('#run').addEventListener('click', (e) => { e.preventDefault(); run(); });
  $('#stop').addEventListener('click', (e) => { e.preventDefault(); stop(); });
  buildFields();
})();
