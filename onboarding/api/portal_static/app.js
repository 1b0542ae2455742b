// The vendor portal: a plain client of the /v1 API, served from the API's own origin.
// No framework and no build step: every element is created with textContent (never innerHTML),
// so nothing a vendor's file contains can become markup. The API key lives in this tab's
// sessionStorage and travels only in the Authorization header of same-origin requests.
"use strict";

const KEY_STORAGE = "onboard.apiKey";
const FINAL = new Set(["completed", "partial", "failed", "expired", "validated"]);
const STATUSES = ["awaiting_upload", "received", "parsing", "validating", "reporting",
  "completed", "partial", "failed", "expired", "validated"];
const STATUS_COLOURS = { completed: "#2e7d32", partial: "#f9a825", failed: "#c62828", expired: "#757575", validated: "#1565c0" };
const MAX_ERROR_ROWS = 2000;

const state = { me: null, pollTimer: null, uploadsCursor: null, catalogCursor: null, opCursor: null, errors: [] };

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title);
    this.status = status;
    this.title = title;
  }
}

function apiKey() { return sessionStorage.getItem(KEY_STORAGE); }

async function api(path, options = {}) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  const key = apiKey();
  if (key) headers.Authorization = "Bearer " + key;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  let response;
  try {
    response = await fetch(path, { method: options.method || "GET", headers, body: options.body, redirect: "manual" });
  } catch (err) {
    throw new ApiError(0, "unreachable",
      "The portal cannot reach the API. Check that the stack is running (onboard up) and try again.");
  }
  if (response.status === 204 || response.status === 202 && response.headers.get("content-length") === "0") return null;
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (err) { body = null; }
  if (!response.ok) {
    const detail = body && (body.detail || body.title);
    throw new ApiError(response.status, body && body.title, detail || "The API answered " + response.status + ".");
  }
  return body;
}

function itemsOf(body) { return Array.isArray(body) ? body : (body && body.items) || []; }

function notify(message, kind = "error") {
  const box = $("notice");
  box.textContent = message;
  box.className = "notice " + kind;
  box.hidden = !message;
}

function explain(err) {
  if (err.status === 401) return "That API key was not accepted. Check it, or ask your operator for a new one (onboard keys create).";
  if (err.status === 403) return "Your vendor account is suspended. Contact the marketplace operators.";
  if (err.status === 429) return "Too many requests for now. Wait a few seconds and try again.";
  return err.message;
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell === null || cell === undefined ? "" : String(cell);
    tr.appendChild(td);
  }
  return tr;
}

function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

function link(text, hash) {
  const a = el("a", text, { href: hash });
  return a;
}

// ---- sign in / out --------------------------------------------------------------------------

async function signIn(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
  try {
    state.me = await api("/v1/me");
  } catch (err) {
    sessionStorage.removeItem(KEY_STORAGE);
    state.me = null;
    throw err;
  }
}

function signOut() {
  sessionStorage.removeItem(KEY_STORAGE);
  state.me = null;
  clearTimeout(state.pollTimer);
  location.hash = "";
  render();
}

// ---- routing --------------------------------------------------------------------------------

function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, "");
  if (hash) return hash.split("/");
  // An emailed link: /portal/uploads/<id>.
  const match = location.pathname.match(/\/portal\/uploads\/([^/]+)$/);
  return match ? ["uploads", decodeURIComponent(match[1])] : [];
}

function showView(name) {
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== "view-" + name;
  for (const tab of document.querySelectorAll("#vendor-nav button")) {
    if (tab.dataset.view === name || (name === "detail" && tab.dataset.view === "uploads")) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
}

async function render() {
  clearTimeout(state.pollTimer);
  const signedIn = Boolean(state.me);
  $("sign-in").hidden = signedIn;
  $("sign-out").hidden = !signedIn;
  $("vendor-nav").hidden = !signedIn || state.me.role === "operator";
  $("who").textContent = signedIn ? (state.me.role === "operator" ? "Operator" : "Vendor " + state.me.vendor_id) : "";
  if (!signedIn) { showView("none"); return; }
  try {
    if (state.me.role === "operator") { showView("operator"); await loadOperator(); return; }
    const [section, id] = currentRoute();
    if (section === "uploads" && id) { showView("detail"); await loadUpload(id); }
    else if (section === "uploads") { showView("uploads"); await loadUploads(true); }
    else if (section === "catalog") { showView("catalog"); await loadCatalog(true); }
    else if (section === "webhooks") { showView("webhooks"); await loadWebhooks(); }
    else showView("upload");
  } catch (err) {
    notify(explain(err));
  }
}

// ---- upload ---------------------------------------------------------------------------------

function chosenFile() { return state.droppedFile || $("file-input").files[0] || null; }

function describeChosen() {
  const file = chosenFile();
  $("chosen-file").textContent = file ? file.name + " (" + file.size.toLocaleString() + " bytes)" : "";
}

async function startUpload(event) {
  event.preventDefault();
  notify("");
  const file = chosenFile();
  if (!file) { notify("Choose a file first: a CSV, .csv.gz or .xlsx catalog."); return; }
  if (state.me.max_file_bytes && file.size > state.me.max_file_bytes) {
    notify("This file is " + file.size.toLocaleString() + " bytes; the limit is " + state.me.max_file_bytes.toLocaleString()
      + " bytes. Split it into smaller files, or compress it as .csv.gz, and upload again.");
    return;
  }
  const body = { file_name: file.name, dry_run: $("dry-run").checked };
  const mode = $("mode").value;
  if (mode !== "upsert") body.mode = mode;
  if (mode === "replace" && $("confirm-replace").checked) body.confirm_replace = true;
  $("upload-button").disabled = true;
  try {
    const ticket = await api("/v1/uploads", { method: "POST", json: body, headers: { "Idempotency-Key": crypto.randomUUID() } });
    const form = new FormData();
    for (const [name, value] of Object.entries(ticket.upload.fields)) form.append(name, value);
    form.append("file", file, file.name);
    let sent;
    try {
      sent = await fetch(ticket.upload.url, { method: "POST", body: form });
    } catch (err) {
      throw new ApiError(0, "storage", "The file could not be sent to storage. Check your connection and upload again.");
    }
    if (!sent.ok) {
      const text = await sent.text();
      if (/expired/i.test(text)) throw new ApiError(sent.status, "expired", "The upload ticket expired before the file was sent. Upload the file again.");
      if (/EntityTooLarge|content-length-range/i.test(text)) throw new ApiError(sent.status, "too large", "Storage refused the file as too large. Split it into smaller files and upload again.");
      throw new ApiError(sent.status, "storage", "Storage refused the file (HTTP " + sent.status + "). Upload it again; if it keeps failing, contact the operators.");
    }
    state.droppedFile = null;
    $("file-input").value = "";
    describeChosen();
    location.hash = "#/uploads/" + encodeURIComponent(ticket.upload_id);
  } catch (err) {
    notify(explain(err));
  } finally {
    $("upload-button").disabled = false;
  }
}

// ---- one upload -----------------------------------------------------------------------------

async function loadUpload(id) {
  const upload = await api("/v1/uploads/" + encodeURIComponent(id));
  $("detail-title").textContent = upload.file_name || upload.upload_id;
  $("detail-meta").textContent = "Upload " + upload.upload_id + " · status " + upload.status + (upload.dry_run ? " · dry run" : "");
  $("detail-meta").dataset.status = upload.status;
  const progress = upload.progress || { processed: 0, total: 0 };
  $("progress").max = Math.max(progress.total || 0, 1);
  $("progress").value = FINAL.has(upload.status) && progress.total ? progress.total : (progress.processed || 0);
  $("progress-text").textContent = FINAL.has(upload.status) ? "finished: " + upload.status
    : (progress.processed || 0).toLocaleString() + " of " + (progress.total || 0).toLocaleString() + " rows";

  const counts = $("counts");
  counts.replaceChildren();
  const summary = Object.assign({ rows: upload.total_records, valid: upload.valid_records, errors: upload.error_records },
    upload.warning_records !== undefined ? { warnings: upload.warning_records } : {}, upload.summary || {});
  for (const [name, value] of Object.entries(summary)) {
    if (value === null || value === undefined || typeof value === "object") continue;
    counts.append(el("dt", name.replaceAll("_", " ")), el("dd", value));
  }

  const timeline = $("timeline");
  timeline.replaceChildren();
  for (const step of upload.history || []) {
    const item = el("li");
    item.append(el("time", when(step.at), { datetime: step.at }), el("strong", " " + step.status));
    if (step.detail) item.append(el("span", " · " + step.detail));
    timeline.append(item);
  }

  $("report-link").hidden = !upload.report_url;
  if (upload.report_url) $("report-link").href = upload.report_url;
  $("commit-button").hidden = !(upload.dry_run && upload.status === "validated");
  $("commit-button").dataset.uploadId = upload.upload_id;

  if (!FINAL.has(upload.status)) {
    const wait = Math.max(0.5, upload.next_poll_after_s || 2) * 1000;
    state.pollTimer = setTimeout(() => loadUpload(id).catch((err) => notify(explain(err))), wait);
    $("errors-block").hidden = true;
    return;
  }
  await loadErrors(upload.upload_id);
}

async function loadErrors(id) {
  const items = [];
  let cursor = null;
  do {
    const query = "?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    const page = await api("/v1/uploads/" + encodeURIComponent(id) + "/errors" + query);
    items.push(...itemsOf(page));
    cursor = page.next_cursor;
  } while (cursor && items.length < MAX_ERROR_ROWS);
  state.errors = items;
  $("errors-block").hidden = items.length === 0;
  fillFilter($("filter-code"), "all codes", items.map((e) => e.error_type));
  fillFilter($("filter-field"), "all columns", items.map((e) => e.field || ""));
  $("errors-more").textContent = cursor ? "Showing the first " + items.length.toLocaleString() + " findings; the report has them all." : "";
  drawErrors();
}

function fillFilter(select, allLabel, values) {
  const keep = select.value;
  select.replaceChildren(el("option", allLabel, { value: "" }));
  for (const value of [...new Set(values)].filter(Boolean).sort()) select.append(el("option", value, { value }));
  select.value = [...select.options].some((o) => o.value === keep) ? keep : "";
}

function drawErrors() {
  const code = $("filter-code").value;
  const field = $("filter-field").value;
  const body = $("errors-table").tBodies[0];
  body.replaceChildren();
  for (const finding of state.errors) {
    if (code && finding.error_type !== code) continue;
    if (field && (finding.field || "") !== field) continue;
    const tr = row([finding.row_number === 0 ? "file" : finding.row_number, finding.severity || "error", finding.error_type,
      finding.field || "", finding.value === null || finding.value === undefined ? "" : finding.value, finding.message]);
    tr.className = finding.severity === "warning" ? "warning" : "error";
    if (finding.original) tr.title = Object.entries(finding.original).map(([k, v]) => k + ": " + v).join("\n");
    body.append(tr);
  }
}

async function commitDryRun() {
  const id = $("commit-button").dataset.uploadId;
  $("commit-button").disabled = true;
  try {
    await api("/v1/uploads/" + encodeURIComponent(id) + "/commit", { method: "POST" });
    notify("Committed: the file is now being applied to your catalog.", "ok");
    await loadUpload(id);
  } catch (err) {
    notify(explain(err));
  } finally {
    $("commit-button").disabled = false;
  }
}

// ---- lists ----------------------------------------------------------------------------------

async function loadUploads(fresh) {
  const body = $("uploads-table").tBodies[0];
  if (fresh) { body.replaceChildren(); state.uploadsCursor = null; }
  const page = await api("/v1/uploads?limit=20" + (state.uploadsCursor ? "&cursor=" + encodeURIComponent(state.uploadsCursor) : ""));
  for (const upload of itemsOf(page)) {
    const hist = upload.history && upload.history[0];
    body.append(row([when(upload.created_at || (hist && hist.at)), link(upload.file_name || upload.upload_id, "#/uploads/" + encodeURIComponent(upload.upload_id)),
      upload.status, upload.total_records, upload.valid_records, upload.error_records]));
  }
  state.uploadsCursor = page.next_cursor;
  $("uploads-more").hidden = !page.next_cursor;
}

async function loadCatalog(fresh) {
  const body = $("catalog-table").tBodies[0];
  if (fresh) { body.replaceChildren(); state.catalogCursor = null; $("product-history").hidden = true; }
  const q = $("catalog-q").value.trim();
  const query = "?limit=25" + (q ? "&q=" + encodeURIComponent(q) : "") + (state.catalogCursor ? "&cursor=" + encodeURIComponent(state.catalogCursor) : "");
  const page = await api("/v1/products" + query);
  for (const product of itemsOf(page)) {
    const open = el("button", product.vendor_product_id, { type: "button", class: "linkish" });
    open.addEventListener("click", () => loadProductHistory(product.vendor_product_id).catch((err) => notify(explain(err))));
    body.append(row([open, product.sku, product.product_name, product.category, product.price, product.stock_quantity, when(product.updated_at)]));
  }
  state.catalogCursor = page.next_cursor;
  $("catalog-more").hidden = !page.next_cursor;
}

async function loadProductHistory(vendorProductId) {
  const page = await api("/v1/products/" + encodeURIComponent(vendorProductId) + "/history");
  $("product-history-title").textContent = "History of " + vendorProductId;
  const list = $("product-history-list");
  list.replaceChildren();
  for (const change of itemsOf(page)) {
    const item = el("li");
    item.append(el("time", when(change.at || change.changed_at)), el("strong", " " + (change.change || change.action || "")));
    const fields = change.changes || change.fields || {};
    for (const [name, diff] of Object.entries(fields)) {
      const [before, after] = Array.isArray(diff) ? diff : [diff && diff.old, diff && diff.new];
      item.append(el("span", " · " + name + ": " + (before ?? "∅") + " → " + (after ?? "∅")));
    }
    list.append(item);
  }
  if (!list.children.length) list.append(el("li", "No recorded changes."));
  $("product-history").hidden = false;
}

// ---- webhooks -------------------------------------------------------------------------------

async function loadWebhooks() {
  const body = $("webhooks-table").tBodies[0];
  body.replaceChildren();
  for (const hook of itemsOf(await api("/v1/webhooks"))) {
    const actions = el("span");
    const show = el("button", "Deliveries", { type: "button" });
    show.addEventListener("click", () => loadDeliveries(hook.id).catch((err) => notify(explain(err))));
    const remove = el("button", "Delete", { type: "button" });
    remove.addEventListener("click", async () => {
      try { await api("/v1/webhooks/" + encodeURIComponent(hook.id), { method: "DELETE" }); await loadWebhooks(); }
      catch (err) { notify(explain(err)); }
    });
    actions.append(show, remove);
    body.append(row([hook.url, (hook.events || []).join(", "), actions]));
  }
}

async function addWebhook(event) {
  event.preventDefault();
  const events = [...document.querySelectorAll("#webhook-form input[type=checkbox]:checked")].map((box) => box.value);
  try {
    const hook = await api("/v1/webhooks", { method: "POST", json: { url: $("webhook-url").value, events } });
    const secret = $("webhook-secret");
    secret.textContent = "Signing secret (shown once, keep it now): " + hook.secret;
    secret.hidden = false;
    $("webhook-url").value = "";
    await loadWebhooks();
  } catch (err) {
    notify(explain(err));
  }
}

async function loadDeliveries(id) {
  const body = $("deliveries-table").tBodies[0];
  body.replaceChildren();
  for (const attempt of itemsOf(await api("/v1/webhooks/" + encodeURIComponent(id) + "/deliveries"))) {
    const result = attempt.status_code ? "HTTP " + attempt.status_code : (attempt.error || "pending");
    body.append(row([when(attempt.at), (attempt.event_type ? attempt.event_type + " " : "") + (attempt.event_id || ""), result]));
  }
  $("deliveries").hidden = false;
}

// ---- operator -------------------------------------------------------------------------------

async function loadOperator() {
  const [stats, stuck, dead] = await Promise.all([api("/v1/operator/stats"), api("/v1/operator/stuck"), api("/v1/operator/dead-letters")]);
  drawDaily(stats.uploads_per_day || []);
  drawCodes(stats.top_error_codes || []);
  const stuckBody = $("stuck-table").tBodies[0];
  stuckBody.replaceChildren();
  for (const upload of itemsOf(stuck)) stuckBody.append(row([upload.vendor_id, upload.upload_id, upload.status, when(upload.updated_at)]));
  if (!stuckBody.children.length) stuckBody.append(row(["none", "", "", ""]));
  const dlqBody = $("dlq-table").tBodies[0];
  dlqBody.replaceChildren();
  for (const queue of itemsOf(dead)) dlqBody.append(row([queue.queue, queue.messages, when(queue.oldest_at)]));
  const statusFilter = $("op-status");
  if (statusFilter.options.length === 1) for (const s of STATUSES) statusFilter.append(el("option", s, { value: s }));
  await loadOperatorUploads(true);
}

async function loadOperatorUploads(fresh) {
  const body = $("op-uploads-table").tBodies[0];
  if (fresh) { body.replaceChildren(); state.opCursor = null; }
  const params = new URLSearchParams({ limit: "25" });
  if ($("op-vendor").value.trim()) params.set("vendor_id", $("op-vendor").value.trim());
  if ($("op-status").value) params.set("status", $("op-status").value);
  if (state.opCursor) params.set("cursor", state.opCursor);
  const page = await api("/v1/operator/uploads?" + params.toString());
  for (const upload of itemsOf(page)) {
    body.append(row([when(upload.created_at), upload.vendor_id, upload.file_name, upload.status, upload.total_records, upload.error_records]));
  }
  state.opCursor = page.next_cursor;
  $("op-uploads-more").hidden = !page.next_cursor;
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function drawDaily(points) {
  // points: [{day, status, count}] -> one stacked bar per day.
  const days = [...new Set(points.map((p) => p.day))].sort();
  const width = 600, height = 220, pad = 30;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Uploads per day by final status" });
  const totals = days.map((d) => points.filter((p) => p.day === d).reduce((sum, p) => sum + p.count, 0));
  const max = Math.max(1, ...totals);
  const barWidth = days.length ? (width - 2 * pad) / days.length : 0;
  days.forEach((day, i) => {
    let y = height - pad;
    for (const point of points.filter((p) => p.day === day)) {
      const h = (point.count / max) * (height - 2 * pad);
      y -= h;
      const rect = svg("rect", { x: pad + i * barWidth + 2, y, width: Math.max(1, barWidth - 4), height: h, fill: STATUS_COLOURS[point.status] || "#888" });
      rect.append(svg("title", {}, `${day}: ${point.count} ${point.status}`));
      chart.append(rect);
    }
    chart.append(svg("text", { x: pad + i * barWidth + barWidth / 2, y: height - 10, "text-anchor": "middle", "font-size": 10 }, day.slice(5)));
  });
  chart.append(svg("text", { x: 4, y: 14, "font-size": 11 }, `max ${max}/day`));
  Object.entries(STATUS_COLOURS).forEach(([status, colour], i) => {
    const x = width - 5 * 86 + i * 86;
    chart.append(svg("rect", { x, y: 5, width: 10, height: 10, fill: colour }));
    chart.append(svg("text", { x: x + 14, y: 14, "font-size": 11 }, status));
  });
  if (!days.length) chart.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, "No finished uploads yet"));
  $("chart-daily").replaceChildren(chart);
}

function drawCodes(codes) {
  const width = 600, rowHeight = 22, pad = 180;
  const height = Math.max(1, codes.length) * rowHeight + 10;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Top error codes" });
  const max = Math.max(1, ...codes.map((c) => c.count));
  codes.forEach((code, i) => {
    const y = 5 + i * rowHeight;
    chart.append(svg("text", { x: pad - 6, y: y + 14, "text-anchor": "end", "font-size": 12 }, code.error_type));
    const w = (code.count / max) * (width - pad - 60);
    chart.append(svg("rect", { x: pad, y: y + 2, width: Math.max(1, w), height: rowHeight - 6, fill: "#c62828" }));
    chart.append(svg("text", { x: pad + w + 6, y: y + 14, "font-size": 12 }, code.count));
  });
  if (!codes.length) chart.append(svg("text", { x: width / 2, y: 18, "text-anchor": "middle" }, "No errors in 30 days"));
  $("chart-codes").replaceChildren(chart);
}

// ---- wiring ---------------------------------------------------------------------------------

function wire() {
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    notify("");
    try { await signIn($("api-key").value.trim()); $("api-key").value = ""; await render(); }
    catch (err) { notify(explain(err)); }
  });
  $("sign-out").addEventListener("click", signOut);
  for (const tab of document.querySelectorAll("#vendor-nav button")) {
    tab.addEventListener("click", () => { location.hash = "#/" + tab.dataset.view; });
  }
  window.addEventListener("hashchange", () => { notify(""); render(); });

  const zone = $("drop-zone");
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    state.droppedFile = event.dataTransfer.files[0] || null;
    describeChosen();
  });
  zone.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); $("file-input").click(); } });
  $("file-input").addEventListener("change", () => { state.droppedFile = null; describeChosen(); });
  $("mode").addEventListener("change", () => { $("confirm-replace-row").hidden = $("mode").value !== "replace"; });
  $("upload-form").addEventListener("submit", startUpload);
  $("commit-button").addEventListener("click", commitDryRun);
  $("upload-again").addEventListener("click", () => { location.hash = "#/upload"; });
  $("filter-code").addEventListener("change", drawErrors);
  $("filter-field").addEventListener("change", drawErrors);
  $("uploads-more").addEventListener("click", () => loadUploads(false).catch((err) => notify(explain(err))));
  $("catalog-search").addEventListener("submit", (event) => { event.preventDefault(); loadCatalog(true).catch((err) => notify(explain(err))); });
  $("catalog-more").addEventListener("click", () => loadCatalog(false).catch((err) => notify(explain(err))));
  $("webhook-form").addEventListener("submit", addWebhook);
  $("operator-filters").addEventListener("submit", (event) => { event.preventDefault(); loadOperatorUploads(true).catch((err) => notify(explain(err))); });
  $("op-uploads-more").addEventListener("click", () => loadOperatorUploads(false).catch((err) => notify(explain(err))));
}

async function start() {
  wire();
  if (apiKey()) {
    try { state.me = await api("/v1/me"); } catch (err) { sessionStorage.removeItem(KEY_STORAGE); notify(explain(err)); }
  }
  await render();
}

document.addEventListener("DOMContentLoaded", start);
