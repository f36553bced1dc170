// Draws every <div class="graph"> on the page with cytoscape.js.
// Data comes from JSON: data-graph-url (fetched) or data-graph-source (the id
// of a <script type="application/json"> element), in the shape
// {nodes: [{id, label, type, status, href, weight}], edges: [{source, target}]}.
// No inline script, so the pages run under a strict Content-Security-Policy.
(function () {
  "use strict";

  var COLOURS = {
    account: "#5b7fb8", group: "#8e6cc0", address: "#e08a1e", prefix: "#d0a040",
    device: "#2b8a7e", payment: "#c2417a", "api key": "#6b7a2a", template: "#7a5a3a",
    "user agent": "#777", asn: "#b58900", node: "#5b7fb8"
  };

  // Neo4j labels (query results) onto the kinds the colours know.
  var LABEL_KINDS = {
    Account: "account", IP: "address", Prefix: "prefix", ASN: "asn", Device: "device",
    Payment: "payment", ApiKey: "api key", PromptTemplate: "template", UserAgent: "user agent",
    Network: "group", EmailDomain: "prefix", Org: "prefix", Session: "node"
  };

  function kindOf(type) { return LABEL_KINDS[type] || type || "node"; }

  function style(labelAccounts) {
    return [
      { selector: "node", style: {
          "background-color": function (n) { return COLOURS[kindOf(n.data("type"))] || "#888"; },
          "shape": function (n) { var t = kindOf(n.data("type")); return t === "account" ? "ellipse" : (t === "group" ? "round-rectangle" : "diamond"); },
          "width": function (n) { return Math.min(60, 14 + 4 * Math.sqrt(n.data("weight") || 1)); },
          "height": function (n) { return Math.min(60, 14 + 4 * Math.sqrt(n.data("weight") || 1)); },
          "label": function (n) { return (kindOf(n.data("type")) === "account" && !labelAccounts) ? "" : (n.data("label") || ""); },
          "font-size": 9, "color": "#38424d", "text-valign": "bottom", "text-margin-y": 3,
          "text-max-width": 120, "text-wrap": "ellipsis"
        } },
      { selector: "node[status = 'banned']", style: { "background-color": "#a3261f" } },
      { selector: "node[status = 'suspended']", style: { "background-color": "#c98a00" } },
      { selector: "node:selected, node.hover", style: { "label": "data(label)", "border-width": 2, "border-color": "#1d232b" } },
      { selector: "edge", style: { "width": 1, "line-color": "#c5ccd5", "curve-style": "haystack", "opacity": 0.7 } }
    ];
  }

  function message(el, text) {
    el.innerHTML = "";
    var p = document.createElement("p");
    p.className = "graph-message";
    p.textContent = text;
    el.appendChild(p);
  }

  function draw(el, data) {
    if (!data.nodes || data.nodes.length === 0) {
      message(el, "Nothing to draw: no shared entities.");
      return;
    }
    if (typeof cytoscape === "undefined") {
      message(el, "The graph library did not load.");
      return;
    }
    var elements = data.nodes.map(function (n) { return { data: n }; }).concat(
      data.edges.map(function (e, i) { return { data: { id: "e" + i, source: e.source, target: e.target } }; }));
    var cy = cytoscape({
      container: el, elements: elements, style: style(data.nodes.length <= 80),
      layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: function () { return 9000; }, idealEdgeLength: function () { return 40; }, numIter: 1200 },
      minZoom: 0.1, maxZoom: 4
    });
    cy.on("tap", "node", function (evt) {
      var href = evt.target.data("href");
      if (href) { window.location.href = href; }
    });
    cy.on("mouseover", "node", function (evt) { evt.target.addClass("hover"); el.style.cursor = "pointer"; });
    cy.on("mouseout", "node", function (evt) { evt.target.removeClass("hover"); el.style.cursor = ""; });
    el.setAttribute("data-drawn", String(data.nodes.length));
    var note = el.getAttribute("data-note") && document.getElementById(el.getAttribute("data-note"));
    if (note && data.collapsed) {
      note.textContent = "Collapsed: " + data.accounts + " accounts shown as groups of accounts that share the same entities; click a group for the members table.";
    } else if (note && data.isolated) {
      note.textContent = data.isolated + " of " + data.accounts + " accounts share none of the entities drawn and are left out.";
    }
  }

  function load(el) {
    if (el.getAttribute("data-drawn")) { return; }
    var source = el.getAttribute("data-graph-source");
    var url = el.getAttribute("data-graph-url");
    if (source) {
      var script = document.getElementById(source);
      if (script) { draw(el, JSON.parse(script.textContent)); }
      return;
    }
    if (!url) { return; }
    message(el, "Drawing…");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("the server answered " + r.status); } return r.json(); })
      .then(function (data) { el.innerHTML = ""; draw(el, data); })
      .catch(function (err) { message(el, "The graph could not be drawn: " + err.message); });
  }

  function scan(root) {
    var found = (root.querySelectorAll ? root.querySelectorAll("div.graph") : []);
    for (var i = 0; i < found.length; i++) { load(found[i]); }
    if (root.classList && root.classList.contains("graph")) { load(root); }
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (evt) { scan(evt.target); });
})();
