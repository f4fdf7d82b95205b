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
