// The console's own script (console-design §3.3): keyboard shortcuts. Everything else is
// plain HTML and htmx; pages work without this file.
"use strict";
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  // "/" focuses the page's search box; "n" follows its "new" link.
  const shortcut = document.querySelector(`[data-shortcut="${CSS.escape(event.key)}"]`);
  if (!shortcut) return;
  event.preventDefault();
  if (shortcut instanceof HTMLInputElement) shortcut.focus();
  else if (shortcut instanceof HTMLElement) shortcut.click();
});

// A relation's search results fill the reference in: the chosen item's button names the input.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-fill]") : null;
  if (!(button instanceof HTMLButtonElement)) return;
  const input = document.getElementById(button.dataset.fill || "");
  if (input instanceof HTMLInputElement) {
    input.value = button.value;
    input.focus();
  }
  const results = button.closest(".lookup-results");
  if (results) results.replaceChildren();
});

// Enter in a relation's search box searches; it does not send the whole form.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target instanceof HTMLInputElement && event.target.name === "_lookup") {
    event.preventDefault();
  }
});

// Each region htmx finishes swapping in counts on the body (data-settled): a browser test waits
// for the count to move instead of sleeping.
document.addEventListener("htmx:afterSettle", () => {
  document.body.dataset.settled = String(Number(document.body.dataset.settled || "0") + 1);
});

// Stage colours: a lane names its colour in data-color (a style attribute would need the CSP to
// allow inline styles); the property is set from here, on the first load and after each swap.
function paintLanes(root) {
  for (const lane of root.querySelectorAll(".lane[data-color]")) {
    if (/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(lane.dataset.color || "")) lane.style.setProperty("--lane-color", lane.dataset.color);
  }
}
document.addEventListener("DOMContentLoaded", () => paintLanes(document));
document.addEventListener("htmx:afterSettle", (event) => paintLanes(event.target instanceof Element ? event.target : document));

// Quick-task board: a card dropped on another lane is moved by its own "Mover para" form (the
// same request the keyboard and touch path sends).
function laneOf(event) {
  return event.target instanceof Element ? event.target.closest(".quick-lane[data-status]") : null;
}
document.addEventListener("dragstart", (event) => {
  const card = event.target instanceof Element ? event.target.closest("[data-card]") : null;
  if (!(card instanceof HTMLElement) || !event.dataTransfer) return;
  event.dataTransfer.setData("text/plain", card.dataset.card || "");
  event.dataTransfer.effectAllowed = "move";
});
document.addEventListener("dragover", (event) => {
  const lane = laneOf(event);
  if (!lane) return;
  event.preventDefault();
  lane.classList.add("drop-target");
});
document.addEventListener("dragleave", (event) => {
  const lane = laneOf(event);
  if (lane && !(event.relatedTarget instanceof Node && lane.contains(event.relatedTarget))) lane.classList.remove("drop-target");
});
document.addEventListener("drop", (event) => {
  const lane = laneOf(event);
  if (!(lane instanceof HTMLElement) || !event.dataTransfer) return;
  event.preventDefault();
  lane.classList.remove("drop-target");
  const id = event.dataTransfer.getData("text/plain");
  const form = document.querySelector(`#card-${CSS.escape(id)} form.move-form`);
  if (!(form instanceof HTMLFormElement)) return;
  const status = form.elements.namedItem("status");
  if (!(status instanceof HTMLSelectElement) || status.value === lane.dataset.status) return;
  status.value = lane.dataset.status || "";
  form.requestSubmit();
});

// Live updates (the page's one stream, opened by the SSE extension on <body>): the header says
// whether it is connected; a signal that the page's open form was changed elsewhere shows the
// reload banner instead of replacing the form; `reset` (the stream lost its place) reloads.
function setLive(on) {
  const status = document.getElementById("live-status");
  if (!(status instanceof HTMLElement)) return;
  status.textContent = (on ? status.dataset.on : status.dataset.off) || "";
  status.dataset.state = on ? "on" : "off";
}
document.addEventListener("htmx:sseOpen", () => setLive(true));
document.addEventListener("htmx:sseError", () => setLive(false));
document.addEventListener("htmx:sseMessage", (event) => {
  const type = event instanceof CustomEvent && event.detail ? event.detail.type : "";
  if (type === "reset") {
    window.location.reload();
  } else if (type && type === document.body.dataset.watch) {
    const banner = document.getElementById("stale");
    if (banner) banner.hidden = false;
  }
});
