// unfragile: sort any table by a click on its header, and filter long tables by text or by facet.
// Plain JavaScript, shipped with the site (no CDN). Without JavaScript the tables read the same.
(function () {
  "use strict";
  var NUMBER = /^[\s(]*([−-]?[\d,]*\.?\d+(?:e[+-]?\d+)?)\s*([kMGB]|%|×|\/100)?/i;
  var SCALE = { k: 1e3, m: 1e6, g: 1e9, b: 1e9 };

  function cellValue(cell) {
    var text = (cell.getAttribute("data-sort") || cell.textContent || "").trim();
    var range = text.match(/^(\d+)–(\d+)$/);
    if (range) return parseFloat(range[1]) + parseFloat(range[2]) / 1e3;
    var m = text.replace(/\u2212/g, "-").match(NUMBER);
    if (!m || text === "—") return null;
    var v = parseFloat(m[1].replace(/,/g, ""));
    var unit = (m[2] || "").toLowerCase();
    return SCALE[unit] ? v * SCALE[unit] : v;
  }

  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    if (!body) return;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[index]), y = cellValue(b.cells[index]);
      if (x === null && y === null) {
        var s = a.cells[index].textContent.localeCompare(b.cells[index].textContent);
        return ascending ? s : -s;
      }
      if (x === null) return 1;  // rows without a number stay last either way
      if (y === null) return -1;
      return ascending ? x - y : y - x;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function facets(table) {
    // columns with a few repeated values (status, kind, license...) become checkboxes
    var out = [];
    var heads = table.tHead.rows[0].cells;
    for (var c = 0; c < heads.length; c++) {
      var seen = {};
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        var t = (r.cells[c] ? r.cells[c].textContent : "").trim();
        seen[t] = (seen[t] || 0) + 1;
      });
      var values = Object.keys(seen);
      var name = heads[c].textContent.trim();
      if (values.length >= 2 && values.length <= 4 && /status|kind|license|type|task|open/i.test(name)) {
        out.push({ column: c, name: name, values: values.sort() });
      }
    }
    return out;
  }

  function addControls(table, id) {
    var rows = table.tBodies[0].rows;
    var controls = document.createElement("div");
    controls.className = "uf-controls";
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = "Filter rows…";
    search.setAttribute("aria-label", "Filter the rows of this table");
    search.id = "uf-filter-" + id;
    controls.appendChild(search);
    var boxes = [];
    facets(table).forEach(function (f) {
      f.values.forEach(function (v) {
        var label = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.checked = true;
        box.dataset.column = f.column;
        box.dataset.value = v;
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + f.name + ": " + (v || "—")));
        controls.appendChild(label);
        boxes.push(box);
      });
    });
    var count = document.createElement("span");
    controls.appendChild(count);
    function apply() {
      var needle = search.value.trim().toLowerCase(), shown = 0;
      Array.prototype.forEach.call(rows, function (r) {
        var ok = !needle || r.textContent.toLowerCase().indexOf(needle) >= 0;
        boxes.forEach(function (b) {
          var cell = r.cells[+b.dataset.column];
          if (!b.checked && cell && cell.textContent.trim() === b.dataset.value) ok = false;
        });
        r.classList.toggle("uf-hidden", !ok);
        if (ok) shown++;
      });
      count.textContent = shown + " of " + rows.length + " rows";
    }
    search.addEventListener("input", apply);
    boxes.forEach(function (b) { b.addEventListener("change", apply); });
    apply();
    var wrap = table.closest(".md-typeset__scrollwrap") || table;
    wrap.parentNode.insertBefore(controls, wrap);
  }

  function init() {
    var tables = document.querySelectorAll("article table");
    Array.prototype.forEach.call(tables, function (table, n) {
      if (!table.tHead || !table.tBodies[0] || table.dataset.ufReady) return;
      table.dataset.ufReady = "1";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
        th.classList.add("uf-sortable");
        th.setAttribute("tabindex", "0");
        th.setAttribute("title", "Sort by this column");
        th.addEventListener("click", function () { sortBy(table, i, th); });
        th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(table, i, th); });
      });
      if (table.tBodies[0].rows.length >= 6) addControls(table, n);
    });
  }

  if (window.document$ && window.document$.subscribe) window.document$.subscribe(init);  // instant navigation
  else document.addEventListener("DOMContentLoaded", init);
})();
