// Draws the graph, then wires up search, the legend filter and node details.
// Every text shown here goes through textContent or vis-network's plain-text tooltip.
var nodes, edges, network;
(function () {
  var data = ESTATE_GRAPH;
  nodes = new vis.DataSet(data.nodes);
  edges = new vis.DataSet(data.edges);
  network = new vis.Network(document.getElementById("mynetwork"),
                            { nodes: nodes, edges: edges }, data.options);
  var loading = document.getElementById("loading");
  function ready() {
    loading.hidden = true;
    document.body.setAttribute("data-ready", "1");
  }
  if (data.physics) {
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({ physics: { enabled: false } });
      network.fit();
      ready();
    });
  } else {
    network.once("afterDrawing", function () { network.fit(); ready(); });
  }

  var details = document.getElementById("details");
  var open = document.getElementById("details-open");
  function show(id) {
    var node = nodes.get(id);
    if (!node) return;
    details.textContent = node.title || node.label || String(id);
    if (node.url) { open.href = node.url; open.hidden = false; } else { open.hidden = true; }
  }
  network.on("selectNode", function (p) { show(p.nodes[0]); });
  network.on("doubleClick", function (p) {
    var node = p.nodes.length ? nodes.get(p.nodes[0]) : null;
    if (node && node.url) window.location.href = node.url;
  });

  // Search: matches label or tooltip text, case-insensitive; Enter again moves to the next.
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var last = { query: null, matches: [], index: -1 };
  function find(query) {
    var q = query.trim().toLowerCase();
    if (!q) return [];
    var exact = [], partial = [];
    nodes.forEach(function (n) {
      if (n.hidden) return;
      var label = String(n.label || "").toLowerCase();
      if (label === q) exact.push(n.id);
      else if (label.indexOf(q) >= 0 || String(n.title || "").toLowerCase().indexOf(q) >= 0) partial.push(n.id);
    });
    return exact.concat(partial);
  }
  window.estateSearch = function (query) {
    if (query !== last.query) last = { query: query, matches: find(query), index: -1 };
    if (!last.matches.length) { status.textContent = "No match"; return null; }
    last.index = (last.index + 1) % last.matches.length;
    var id = last.matches[last.index];
    network.selectNodes([id]);
    network.focus(id, { scale: 1.3, animation: { duration: 400, easingFunction: "easeInOutQuad" } });
    show(id);
    status.textContent = (last.index + 1) + " of " + last.matches.length;
    return id;
  };
  document.getElementById("search").addEventListener("submit", function (e) {
    e.preventDefault();
    window.estateSearch(input.value);
  });

  // Legend: each entry hides or shows the nodes drawn in its colour.
  document.querySelectorAll("#legend button").forEach(function (button) {
    button.addEventListener("click", function () {
      var shown = button.getAttribute("aria-pressed") === "true";
      button.setAttribute("aria-pressed", shown ? "false" : "true");
      var key = button.getAttribute("data-key");
      nodes.update(nodes.get({ filter: function (n) { return n.legend === key; } })
        .map(function (n) { return { id: n.id, hidden: shown }; }));
      last.query = null;
    });
  });
})();
