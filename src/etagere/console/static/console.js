// etagere console: drag-and-drop upload with per-file progress, live status, copy buttons.
// Served from this server only (CSP default-src 'self'); no inline code anywhere.
"use strict";

function uploadOne(zone, list, file) {
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", "Upload of " + file.name);
  const outcome = document.createElement("span");
  outcome.className = "outcome";
  outcome.textContent = "waiting";
  item.append(name, bar, outcome);
  list.append(item);
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", zone.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRF-Token", zone.dataset.csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      outcome.textContent = "uploading";
    };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (_) { body = {}; }
      bar.value = 100;
      if (xhr.status === 201) {
        outcome.textContent = "uploaded: processing";
        outcome.classList.add("created");
      } else if (xhr.status === 200) {
        outcome.textContent = "already in this library";
        outcome.classList.add("existing");
      } else {
        const label = { 413: "too large", 415: "unsupported type", 401: "signed out" }[xhr.status] || "refused";
        outcome.textContent = label + " (" + xhr.status + "): " + (body.detail || xhr.statusText);
        outcome.classList.add("refused");
      }
      item.dataset.outcome = body.outcome || "refused";
      resolve();
    };
    xhr.onerror = () => {
      outcome.textContent = "network error: nothing was saved";
      outcome.classList.add("refused");
      resolve();
    };
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

async function uploadAll(zone, files) {
  const list = zone.querySelector("#uploads");
  // Two at a time: fast on a LAN, and each file keeps its own progress bar.
  const queue = Array.from(files);
  const lanes = [0, 1].map(async () => {
    while (queue.length) await uploadOne(zone, list, queue.shift());
  });
  await Promise.all(lanes);
  refreshRows();
}

function setUpDrop() {
  const zone = document.getElementById("drop");
  if (!zone) return;
  const input = zone.querySelector("#files");
  input.addEventListener("change", () => { uploadAll(zone, input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => {
    e.preventDefault();
    zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, () => zone.classList.remove("over")));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) uploadAll(zone, e.dataTransfer.files);
  });
}

let polling = null;

async function refreshRows() {
  const section = document.getElementById("documents");
  if (!section) return;
  const response = await fetch(section.dataset.rowsUrl, { headers: { Accept: "text/html" } });
  if (response.redirected) {  // the session ended: show the sign-in page
    window.location.assign(response.url);
    return;
  }
  if (!response.ok) return;
  section.innerHTML = await response.text();  // rendered and escaped by the server
  schedulePoll();
}

function schedulePoll() {
  const rows = document.getElementById("rows");
  clearTimeout(polling);
  // Poll only while something is queued or in progress; stop when all is settled.
  if (rows && rows.querySelector("[data-pending]")) polling = setTimeout(refreshRows, 2000);
}

function setUpDocumentRefresh() {
  const status = document.getElementById("doc-status");
  if (status && status.hasAttribute("data-pending")) {
    setTimeout(() => window.location.reload(), 3000);
  }
}

function setUpCopy() {
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(source.textContent);
        button.textContent = "Copied";
      } catch (_) {
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpDrop();
  schedulePoll();
  setUpDocumentRefresh();
  setUpCopy();
  const target = window.location.hash && document.querySelector(window.location.hash.replace(/[^#\w-]/g, ""));
  if (target) target.scrollIntoView();
});
