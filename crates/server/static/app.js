// Orderly dashboard enhancements: live updates (Server-Sent Events), busy indicators, copy buttons,
// dismissible messages, filters kept in sessionStorage, the batch progress bar. Every page works
// without this file.
(function () {
  "use strict";
  var LOAD_FAILED = "Unable to load orders. Please refresh or try again later.";
  var page = document.body.getAttribute("data-page");

  // Busy indicators: Shiprocket calls take seconds; show it and prevent double submits.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var label = form.getAttribute("data-busy");
    var button = ev.submitter || form.querySelector("button[type=submit]");
    if (!label || !button) { return; }
    if (form.getAttribute("aria-busy") === "true") { ev.preventDefault(); return; }
    form.setAttribute("aria-busy", "true");
    button.setAttribute("aria-busy", "true");
    button.textContent = label;
  });

  // Copy buttons.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("[data-copy]") : null;
    if (b) {
      var text = b.getAttribute("data-copy");
      var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = b.getAttribute("data-label") || "Copy"; }, 1500); };
      if (!b.getAttribute("data-label")) { b.setAttribute("data-label", b.textContent); }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
      } else { fallbackCopy(text); done(); }
      return;
    }
    var d = ev.target.closest ? ev.target.closest(".dismiss") : null;
    if (d && d.parentNode) { d.parentNode.parentNode.removeChild(d.parentNode); }
  });
  function fallbackCopy(text) {
    var t = document.createElement("textarea");
    t.value = text; document.body.appendChild(t); t.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(t);
  }

  // Filters in sessionStorage: a bare /orders restores the last filters of this tab.
  if (page === "orders") {
    var saved = sessionStorage.getItem("orderly.filters") || "";
    if (location.search.length < 2 && saved.length > 1) {
      location.replace("/orders" + saved);
      return;
    }
    var params = new URLSearchParams(location.search);
    params.delete("cursor");
    var now = params.toString();
    if (now) { sessionStorage.setItem("orderly.filters", "?" + now); }
  }

  // Live updates.
  var status = document.getElementById("live-status");
  function setStatus(text) { if (status) { status.textContent = text; } }
  var pending = null;
  function refresh(regionId, keepChecks) {
    if (pending) { return; }
    pending = setTimeout(function () {
      pending = null;
      var region = document.getElementById(regionId);
      if (!region) { return; }
      fetch(location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(regionId);
          if (!fresh) { throw new Error("no region"); }
          var checked = {};
          if (keepChecks) {
            region.querySelectorAll("input[name=orders]:checked").forEach(function (c) { checked[c.value] = true; });
          }
          region.innerHTML = fresh.innerHTML;
          region.querySelectorAll("input[name=orders]").forEach(function (c) { if (checked[c.value]) { c.checked = true; } });
          document.dispatchEvent(new CustomEvent("orderly:refreshed"));
        })
        .catch(function () {
          if (regionId !== "orders-region") { return; }
          region.innerHTML = '<div class="alert alert-bad load-failed" role="alert"><p id="load-error"></p>' +
            '<button type="button" class="btn" id="retry">Retry</button></div>';
          document.getElementById("load-error").textContent = LOAD_FAILED;
          document.getElementById("retry").addEventListener("click", function () { refresh(regionId, keepChecks); });
        });
    }, 150);
  }
  function updateCounts(c) {
    var set = function (key, n) {
      var el = document.querySelector('[data-count="' + key + '"]');
      if (el) { el.textContent = String(n); }
    };
    set("all", c.all); set("failed", c.failed_shipments); set("sla", c.sla_at_risk);
    ["placed", "processing", "shipped", "delivered", "cancelled"].forEach(function (s) {
      var n = 0;
      (c.by_status || []).forEach(function (p) { if (p[0] === s) { n = p[1]; } });
      set(s, n);
    });
  }

  var liveRegion = document.getElementById("order-live");
  var batch = document.getElementById("batch");
  if ((page === "orders" || page === "order" || batch) && window.EventSource) {
    var since = sessionStorage.getItem("orderly.lastEvent");
    var es = new EventSource("/events" + (since ? "?since=" + encodeURIComponent(since) : ""));
    es.onopen = function () { setStatus("Live"); };
    es.onerror = function () { setStatus("Reconnecting…"); };
    var onChange = function (data) {
      if (page === "orders") {
        var onFirstPage = !/[?&]cursor=/.test(location.search);
        var row = document.querySelector('tr[data-order="' + (window.CSS && CSS.escape ? CSS.escape(data.order_number) : data.order_number) + '"]');
        if (onFirstPage || row) { refresh("orders-region", true); }
      } else if (liveRegion && liveRegion.getAttribute("data-order") === data.order_number && data.kind !== "seen") {
        refresh("order-live", false);
      }
      if (batch) { refresh("batch", false); }
    };
    es.addEventListener("change", function (ev) {
      if (ev.lastEventId) { sessionStorage.setItem("orderly.lastEvent", ev.lastEventId); }
      try { onChange(JSON.parse(ev.data)); } catch (e) { /* ignore a malformed event */ }
    });
    es.addEventListener("counts", function (ev) {
      try { updateCounts(JSON.parse(ev.data)); } catch (e) { /* ignore */ }
    });
    // Browsers allow six HTTP/1.1 connections per host: never keep a stream open for a page that
    // is being left (or kept in the back/forward cache); reload its data when it comes back.
    window.addEventListener("pagehide", function () { es.close(); });
    window.addEventListener("pageshow", function (ev) { if (ev.persisted) { location.reload(); } });
    es.addEventListener("resync", function () {
      sessionStorage.removeItem("orderly.lastEvent");
      if (page === "orders") { refresh("orders-region", true); }
      else if (liveRegion) { refresh("order-live", false); }
    });
  }
  // A batch still running refreshes itself even without events (e.g. a worker on another host).
  if (batch && batch.getAttribute("data-done") !== "true") {
    var timer = setInterval(function () {
      var b = document.getElementById("batch");
      if (b && b.getAttribute("data-done") === "true") { clearInterval(timer); return; }
      refresh("batch", false);
    }, 1000);
  }
})();
