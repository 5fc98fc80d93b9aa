// The search page: results as you type, a preview of the chosen note, links into Obsidian.
// Served as a static file under a CSP that forbids inline script. Text from notes is only ever
// set with textContent; the preview's HTML comes from the server, already rendered inert.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const box = $("q");
  if (!box) {
    return; // the status page: its links are plain links to the search page
  }
  const results = $("results");
  const summary = $("summary");
  const preview = $("preview");
  const typeButtons = Array.from(document.querySelectorAll("#types button"));
  let type = "";
  let notePath = "";
  let searchSeq = 0;
  let noteSeq = 0;
  let timer = 0;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function remember() {
    const params = new URLSearchParams();
    if (box.value.trim()) params.set("q", box.value.trim());
    if (type) params.set("type", type);
    if (notePath) params.set("note", notePath);
    const query = params.toString();
    history.replaceState(null, "", query ? "?" + query : "/");
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  async function search() {
    const query = box.value.trim();
    const mine = ++searchSeq;
    remember();
    if (!query) {
      results.replaceChildren();
      summary.textContent = "";
      return;
    }
    const params = new URLSearchParams({ q: query, limit: "20" });
    if (type) params.set("type", type);
    let data;
    try {
      data = await getJSON("/api/search?" + params);
    } catch (err) {
      if (mine === searchSeq) summary.textContent = "Search failed: " + err.message;
      return;
    }
    if (mine === searchSeq) showResults(data);
  }

  function snippet(text, spans) {
    const p = el("p", "snippet");
    let last = 0;
    for (const [start, end] of spans) {
      if (start < last) continue;
      p.append(text.slice(last, start), el("mark", "", text.slice(start, end)));
      last = end;
    }
    p.append(text.slice(last));
    return p;
  }

  function showResults(data) {
    const n = data.hits.length;
    // The index is being built: say what these results are drawn from.
    const notice = data.notice ? " (" + data.notice + ")" : "";
    if (!n) {
      summary.textContent = "No note matches “" + data.query + "”." + notice;
    } else {
      const more = data.total > n ? " (best " + n + " shown)" : "";
      const prefix = data.suggestion ? "Nothing matched; showing results for “" + data.suggestion + "”: " : "";
      summary.textContent = prefix + data.total + (data.total === 1 ? " note" : " notes") + more + notice;
    }
    results.replaceChildren(...data.hits.map((hit) => {
      const li = el("li", "result");
      li.dataset.path = hit.path;
      if (hit.path === notePath) li.classList.add("selected");
      const head = el("div", "result-head");
      const title = el("button", "result-title", hit.title);
      title.type = "button";
      title.addEventListener("click", () => openNote({ path: hit.path }));
      head.append(title, el("span", "badge badge-" + hit.type, hit.type));
      const foot = el("div", "result-foot");
      const open = el("a", "open", "Open in Obsidian");
      open.href = hit.uri;
      foot.append(el("span", "path", hit.path), open);
      li.append(head, snippet(hit.snippet, hit.highlights), foot);
      return li;
    }));
  }

  async function openNote(which) {
    const mine = ++noteSeq;
    const params = new URLSearchParams(which);
    let data;
    try {
      data = await getJSON("/api/note?" + params);
    } catch (err) {
      if (mine !== noteSeq) return;
      preview.replaceChildren(el("p", "error", err.message));
      return;
    }
    if (mine !== noteSeq) return;
    notePath = data.path;
    remember();
    for (const li of results.children) li.classList.toggle("selected", li.dataset.path === notePath);
    const head = el("header", "preview-head");
    const open = el("a", "open", "Open in Obsidian");
    open.href = data.uri;
    head.append(el("h1", "preview-title", data.title), el("span", "path", data.path), open);
    const body = el("div", "preview-body");
    body.innerHTML = data.html; // rendered by the server: raw HTML escaped, links checked, CSP-bound
    const first = body.firstElementChild;
    if (first && first.tagName === "H1" && first.textContent.trim() === data.title) first.remove();
    preview.replaceChildren(head, body);
    preview.parentElement.scrollTop = 0; // the pane that scrolls, so a new note starts at its top
  }

  preview.addEventListener("click", (event) => {
    const link = event.target.closest("a.note-link");
    if (!link) return;
    event.preventDefault();
    openNote({ ref: link.dataset.note, from: notePath });
  });

  // Arrow keys move from the box through the results; Enter on a result opens its preview.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const titles = Array.from(results.querySelectorAll(".result-title"));
    const at = document.activeElement === box ? -1 : titles.indexOf(document.activeElement);
    if (at === -1 && document.activeElement !== box) return;
    const next = event.key === "ArrowDown" ? titles[at + 1] : (at > 0 ? titles[at - 1] : box);
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    search();
  });
  for (const button of typeButtons) {
    button.addEventListener("click", () => {
      type = button.dataset.type;
      for (const b of typeButtons) b.setAttribute("aria-pressed", String(b === button));
      search();
    });
  }

  const start = new URLSearchParams(location.search);
  box.value = start.get("q") || "";
  const wanted = typeButtons.find((b) => b.dataset.type === (start.get("type") || ""));
  if (wanted) wanted.click(); else search();
  const note = start.get("note");
  if (note) openNote(note.toLowerCase().endsWith(".md") ? { path: note } : { ref: note });
  box.focus();
})();
