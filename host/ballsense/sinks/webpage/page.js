// The phone view: shows the newest frame the host sends over the WebSocket.
// Read-only: it sends nothing over the socket, and asks the server only for the page
// and, for timing, its clock. The words come from the host (hello).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const base = location.pathname.replace(/[^/]*$/, "");  // keeps the session key
  const bs = window.ballsense = {
    log: [],        // [seq, host_ms, dom_ms, paint_ms, alert] per frame: for the bench and the tests
    frames: 0, words: null, last: null, alertShownAt: -1e9, alertsSeen: null, spoken: [], vibrated: [],
    sync: sync,     // align this page's clock with the host's
  };
  let ws = null, unpainted = [], hideTimer = null, audioOn = false;

  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + base + "ws");
    ws.onmessage = (m) => receive(JSON.parse(m.data));
    ws.onclose = () => {
      if (bs.last && bs.last.ended) return;
      $("offline").hidden = false;
      setTimeout(connect, 1000);
    };
    ws.onopen = () => { $("offline").hidden = true; };
  }

  function receive(d) {
    if (d.type === "hello") { bs.words = d; return; }
    if (d.type !== "view") return;
    show(d);
    const entry = [d.seq, d.host_ms, performance.now(), null, d.alert];
    bs.log.push(entry);
    if (bs.log.length > 6000) bs.log.splice(0, 1000);
    unpainted.push(entry);
    if (unpainted.length === 1) requestAnimationFrame(painted);
  }

  function painted() {  // the frame that shows these entries is being drawn now
    const t = performance.now();
    for (const e of unpainted) e[3] = t;
    unpainted = [];
  }

  const text = (id, s) => { const el = $(id); if (el.textContent !== s) el.textContent = s; };
  const human = (s) => s.replace(/_/g, " ").toUpperCase();

  function show(d) {
    const w = bs.words || {state_words: {}, alert_words: {}, alert_min_s: 2};
    bs.frames++;
    bs.last = d;
    text("n", String(Math.round(d.force)));
    text("kg", d.kg.toFixed(1) + " kg");
    const stateWords = w.state_words[d.state] || human(d.state);
    const phaseWords = (w.phase_words || {})[d.phase];  // "" between spots: the state says it
    text("phase", phaseWords ? phaseWords.toUpperCase() : stateWords);
    text("state", phaseWords ? stateWords : "");
    const top = d.bar_top, gm = d.gentle_max;
    const fill = $("fill");
    fill.style.width = Math.min(100, 100 * Math.max(d.force, 0) / top).toFixed(1) + "%";
    fill.classList.toggle("over", !!gm && d.force > gm);
    $("gm").hidden = !gm;
    if (gm) $("gm").style.left = (100 * gm / top).toFixed(1) + "%";
    text("gmtext", gm ? "gentle max " + gm + " N" : "gentle max: learning from your first hold");
    text("breaths", String(d.breaths));
    text("knees", String(d.knee_drops));
    text("hold", d.hold_s === null ? "-" : Math.floor(d.hold_s / 60) + ":" + String(d.hold_s % 60).padStart(2, "0"));
    text("spot", d.side ? String(d.spot) : "-");
    text("alerts", String(d.alerts));
    text("side", d.side || "-");
    if ($("cue").textContent !== (d.cue_text || "")) { text("cue", d.cue_text || ""); fitCue(); }
    text("link", (d.name ? d.name + " \u00b7 " : "") + d.link);
    text("battery", d.battery === null ? "" : "battery " + d.battery + "%");
    text("clock", Math.floor(d.t / 60) + ":" + String(Math.floor(d.t) % 60).padStart(2, "0"));
    showAlert(d, w);
    showNoSignal(d, w);
    if (d.ended) { text("offline-text", "Session ended."); $("offline").hidden = false; }
  }

  function fitCue() {  // as large as the layout allows, smaller only if it would not fit
    const el = $("cue");
    el.style.fontSize = "";
    let px = parseFloat(getComputedStyle(el).fontSize);
    while (px > 12 && el.scrollHeight > el.clientHeight + 1) {
      px = Math.max(12, px * 0.9);
      el.style.fontSize = px + "px";
    }
  }
  window.addEventListener("resize", fitCue);

  function showAlert(d, w) {
    const now = performance.now();
    const fresh = bs.alertsSeen !== null && d.alerts > bs.alertsSeen && d.alert;
    if (bs.alertsSeen === null || d.alerts > bs.alertsSeen) bs.alertsSeen = d.alerts;
    if (d.alert) {
      const a = w.alert_words[d.alert] || {head: human(d.alert), sub: "", say: human(d.alert)};
      text("alert-head", a.head);
      text("alert-sub", a.sub);
      text("alert-force", Math.round(d.force) + " N");
      if ($("alert").hidden) { $("alert").hidden = false; bs.alertShownAt = now; }
      if (fresh) { bs.alertShownAt = now; say(a.say); buzz(); }
    } else if (!$("alert").hidden) {
      const left = w.alert_min_s * 1000 - (now - bs.alertShownAt);
      if (left <= 0) $("alert").hidden = true;
      else { clearTimeout(hideTimer); hideTimer = setTimeout(() => bs.last && !bs.last.alert && ($("alert").hidden = true), left); }
    }
  }

  function showNoSignal(d, w) {  // the numbers under it are stale: cover them
    const ns = !!d.no_signal && !d.ended, words = w.no_signal_words || {text: "No signal from the ball", say: ""};
    if (ns && $("nosignal").hidden) { text("nosignal-text", words.text); say(words.say); buzz(); }
    $("nosignal").hidden = !ns;
  }

  function say(words) {  // bs.spoken: what was handed to the speech engine, and what it said back
    const rec = {words: words, outcome: "none"};
    bs.spoken.push(rec);
    if (!("speechSynthesis" in window)) return;
    speechSynthesis.cancel();  // the newest alert matters most
    const u = new SpeechSynthesisUtterance(words);
    u.rate = 0.95;
    u.onstart = () => { rec.outcome = "spoken"; };
    u.onerror = (e) => { rec.outcome = e.error; };
    speechSynthesis.speak(u);
  }

  function buzz() {
    bs.vibrated.push(navigator.vibrate ? navigator.vibrate([400, 150, 400]) : false);
  }

  // Browsers speak and vibrate only after a tap on the page.
  $("enable").onclick = () => {
    audioOn = true;
    $("enable").hidden = true;
    fitCue();  // the button's room is the cue's now
    if ("speechSynthesis" in window) speechSynthesis.speak(new SpeechSynthesisUtterance("Alerts on."));
    if (navigator.vibrate) navigator.vibrate(50);
    keepAwake();
  };

  function keepAwake() {  // where the browser allows it (a secure page): the screen stays on
    if (navigator.wakeLock && audioOn) navigator.wakeLock.request("screen").catch(() => {});
  }
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && keepAwake());

  async function sync(n) {  // Cristian's: host clock = this page's + offset, good to rtt/2
    let best = null;
    for (let i = 0; i < (n || 20); i++) {
      const t0 = performance.now();
      const host = parseFloat(await (await fetch(base + "clock", {cache: "no-store"})).text());
      const t1 = performance.now();
      if (best === null || t1 - t0 < best.rtt) best = {rtt: t1 - t0, offset: host - (t0 + t1) / 2};
    }
    return best;
  }

  connect();
})();
