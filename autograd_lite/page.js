// The interactive page of autograd-lite: steps through the numbers Python computed.
// Every number shown here comes from the page's data; nothing is differentiated in JavaScript.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("autograd-lite-data").textContent);
  const nodes = data.nodes;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const index = new Map(nodes.map((n, i) => [n.name, i]));
  const steps = data.backward.length;
  const graph = document.getElementById("graph");
  const svg = graph.querySelector("svg");
  const tooltip = document.getElementById("tooltip");
  const stepText = document.getElementById("step-text");
  const explainText = document.getElementById("explain-text");
  const slider = document.getElementById("slider");
  const counter = document.getElementById("counter");

  // ---- the drawing: each Value's group, its data and grad texts, its op and the edges
  const groups = new Map();
  const fields = new Map();
  for (const g of svg.querySelectorAll("g[data-value]")) {
    const name = g.dataset.value;
    groups.set(name, g);
    const found = { data: null, grad: null };
    for (const t of g.querySelectorAll("text")) {
      if (t.textContent.startsWith("data ")) found.data = t;
      else if (t.textContent.startsWith("grad ")) found.grad = t;
    }
    fields.set(name, found);
  }
  const ops = new Map([...svg.querySelectorAll("g[data-op]")].map((g) => [g.dataset.op, g]));
  const edges = [...svg.querySelectorAll("g.edge[data-from]")].map((g) => {
    const to = g.dataset.to;
    const op = to.endsWith("_op");
    return { g, from: g.dataset.from, to: op ? to.slice(0, -3) : to, intoOp: op };
  });
  const children = new Map(nodes.map((n) => [n.name, []]));
  for (const n of nodes) for (const p of n.parents) children.get(p).push(n.name);

  // ---- numbers as the pictures write them (4 significant digits)
  const short = (x) => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x));
  const long = (x) => (Number.isFinite(x) ? String(Number(x.toPrecision(8))) : String(x));

  // ---- what is shown: per Value its data (NaN: not computed yet) and grad
  const state = { mode: "backward", k: steps, selected: null, timer: null };

  function show(name, value, grad) {
    const g = groups.get(name);
    if (!g) return;
    g.dataset.data = String(value);
    g.dataset.grad = String(grad);
    const f = fields.get(name);
    if (f.data) f.data.textContent = Number.isNaN(value) ? "data ?" : "data " + short(value);
    if (f.grad) f.grad.textContent = "grad " + short(grad);
  }

  function clearMarks() {
    for (const el of svg.querySelectorAll(".active, .updated, .flow")) {
      el.classList.remove("active", "updated", "flow");
    }
  }

  function edgesInto(name) {
    return edges.filter((e) => e.to === name);
  }

  // ---- the backward pass: step(k) shows the grads after k nodes have passed theirs on
  function step(k) {
    k = Math.max(0, Math.min(steps, Math.round(Number(k)) || 0));
    state.mode = "backward";
    state.k = k;
    const grads = new Map(nodes.map((n) => [n.name, 0]));
    grads.set(data.root, 1);
    for (let i = 0; i < k; i++) {
      for (const u of data.backward[i].updates) grads.set(u[1], Number(u[5]));
    }
    for (const n of nodes) show(n.name, Number(n.data), grads.get(n.name));
    clearMarks();
    const root = byName.get(data.root);
    const lines = [];
    if (k === 0) {
      lines.push(`step 0 of ${steps}: the seed, grad(${root.shown}) = 1`);
      lines.push(`(d${root.shown}/d${root.shown} = 1); press Next or → to pass it on.`);
      groups.get(data.root)?.classList.add("active");
    } else {
      const s = data.backward[k - 1];
      const n = byName.get(s.node);
      groups.get(s.node)?.classList.add("active");
      const adjoint = long(Number(s.grad));
      lines.push(`step ${k} of ${steps}: ${n.shown} passes grad(${n.shown}) = ${adjoint} on`);
      for (const [from, parent, local, adjoint, product, total] of s.updates) {
        const p = byName.get(parent);
        const via = from ? byName.get(from).shown : "(a node not drawn)";
        lines.push(
          `grad(${p.shown}) += grad(${via}) × ∂${via}/∂${p.shown}` +
            ` = ${long(Number(adjoint))} × ${long(Number(local))} = ${long(Number(product))}` +
            `  →  grad(${p.shown}) = ${long(Number(total))}`,
        );
        groups.get(parent)?.classList.add("updated");
        for (const e of edgesInto(s.node)) if (e.from === parent) e.g.classList.add("flow");
      }
      ops.get(s.node)?.classList.add("active");
      if (s.hidden) lines.push(`(and ${s.hidden} nodes beyond the drawing, folded in)`);
      if (k === steps) lines.push("", "Done: every grad is what backward() gives.");
    }
    stepText.textContent = lines.join("\n");
    sync(k, steps);
    return k;
  }

  // ---- the forward pass: values appear in topological order
  const forwardSteps = data.forward.length;
  function forward(k) {
    k = Math.max(0, Math.min(forwardSteps, Math.round(Number(k)) || 0));
    state.mode = "forward";
    state.k = k;
    const known = new Set(data.forward.slice(0, k));
    for (const n of nodes) {
      const computed = n.op === "" || known.has(n.name);
      show(n.name, computed ? Number(n.data) : NaN, 0);
    }
    clearMarks();
    if (k === 0) {
      stepText.textContent =
        `step 0 of ${forwardSteps}: only the leaves (inputs, parameters, constants) ` +
        "have values; press Next or → to compute the next node.";
    } else {
      const name = data.forward[k - 1];
      const n = byName.get(name);
      groups.get(name)?.classList.add("active");
      ops.get(name)?.classList.add("active");
      for (const e of edgesInto(name)) e.g.classList.add("flow");
      for (const p of n.parents) groups.get(p)?.classList.add("updated");
      stepText.textContent = `step ${k} of ${forwardSteps}: ${n.formula}`;
    }
    sync(k, forwardSteps);
    return k;
  }

  function follow() {
    // keep the node of the current step in sight when zoomed in
    svg.querySelector("g.value.active")?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function sync(k, last) {
    follow();
    for (const radio of document.querySelectorAll("input[name=mode]")) {
      radio.checked = radio.value === state.mode;
    }
    slider.max = String(last);
    slider.value = String(k);
    counter.textContent = `${k} / ${last}`;
  }

  function go(k) {
    return state.mode === "forward" ? forward(k) : step(k);
  }

  function last() {
    return state.mode === "forward" ? forwardSteps : steps;
  }

  // ---- select: every path from a Value to the root lights up
  function select(name) {
    state.selected = null;
    svg.classList.remove("selecting");
    for (const el of svg.querySelectorAll(".path")) el.classList.remove("path");
    if (name === null || name === undefined || !byName.has(name)) {
      explainText.textContent = "Click a Value to see every path from it to the output.";
      return [];
    }
    const on = new Set([name]);
    const queue = [name];
    while (queue.length) {
      for (const c of children.get(queue.pop())) {
        if (!on.has(c)) {
          on.add(c);
          queue.push(c);
        }
      }
    }
    state.selected = name;
    svg.classList.add("selecting");
    for (const v of on) {
      groups.get(v)?.classList.add("path");
      if (v !== name) ops.get(v)?.classList.add("path");
    }
    for (const e of edges) {
      const lit = on.has(e.to) && e.to !== name && (!e.intoOp || on.has(e.from));
      if (lit) e.g.classList.add("path");
    }
    explainText.textContent = byName.get(name).explain;
    return [...on].sort((a, b) => index.get(a) - index.get(b));
  }

  // ---- hover: the numbers of a Value and its local derivatives
  function describe(name) {
    const n = byName.get(name);
    const g = groups.get(name);
    const lines = [n.label && n.label !== n.shown ? `${n.shown} (${n.label})` : n.shown];
    lines.push(n.op ? `op ${n.op}` : n.label ? "leaf (parameter or input)" : "leaf (constant)");
    lines.push(`data ${long(Number(g.dataset.data))}`, `grad ${long(Number(g.dataset.grad))}`);
    for (const [, parent, local] of n.inputs) {
      lines.push(`∂${n.shown}/∂${parent} = ${long(Number(local))}`);
    }
    return lines.join("\n");
  }

  function target(event) {
    const g = event.target.closest("g.value, g.op");
    return g ? g.dataset.value || g.dataset.op : null;
  }

  svg.addEventListener("mouseover", (event) => {
    const name = target(event);
    if (!name) return;
    tooltip.textContent = describe(name);
    tooltip.hidden = false;
  });
  svg.addEventListener("mousemove", (event) => {
    tooltip.style.left = event.clientX + 14 + "px";
    tooltip.style.top = event.clientY + 14 + "px";
  });
  svg.addEventListener("mouseout", (event) => {
    if (!target(event) || !event.relatedTarget?.closest?.("g.value, g.op")) tooltip.hidden = true;
  });
  svg.addEventListener("click", (event) => {
    const name = target(event);
    select(name === state.selected ? null : name);
  });

  // ---- controls
  function stop() {
    clearInterval(state.timer);
    state.timer = null;
    document.getElementById("play").textContent = "▶ Play";
  }
  function play() {
    if (state.timer) return stop();
    if (state.k >= last()) go(0);
    document.getElementById("play").textContent = "❚❚ Pause";
    const delay = Math.max(120, Math.min(800, 12000 / Math.max(1, last())));
    state.timer = setInterval(() => {
      if (state.k >= last()) stop();
      else go(state.k + 1);
    }, delay);
  }
  document.getElementById("prev").addEventListener("click", () => (stop(), go(state.k - 1)));
  document.getElementById("next").addEventListener("click", () => (stop(), go(state.k + 1)));
  document.getElementById("play").addEventListener("click", play);
  slider.addEventListener("input", () => (stop(), go(slider.value)));
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => {
      stop();
      state.mode = radio.value;
      go(radio.value === "forward" ? 0 : steps);
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.target === slider || event.altKey || event.ctrlKey || event.metaKey) return;
    const moves = { ArrowLeft: state.k - 1, ArrowRight: state.k + 1, Home: 0, End: last() };
    if (event.key in moves) {
      stop();
      go(moves[event.key]);
      event.preventDefault();
    } else if (event.key === " ") {
      play();
      event.preventDefault();
    }
  });

  // ---- zoom: Graphviz sizes the picture in points
  const box = svg.viewBox.baseVal;
  let zoom = 1;
  function setZoom(z) {
    zoom = Math.max(0.05, Math.min(4, z));
    svg.setAttribute("width", box.width * zoom + "pt");
    svg.setAttribute("height", box.height * zoom + "pt");
  }
  const fit = () => (graph.clientWidth - 16) / (box.width * (4 / 3));
  document.getElementById("zoom-in").addEventListener("click", () => setZoom(zoom * 1.25));
  document.getElementById("zoom-out").addEventListener("click", () => setZoom(zoom / 1.25));
  document.getElementById("zoom-fit").addEventListener("click", () => setZoom(fit()));
  if (box && box.width) setZoom(Math.min(1, Math.max(0.6, fit())));

  window.autogradLite = {
    nodes: nodes.map((n) => ({
      name: n.name,
      label: n.label,
      op: n.op,
      data: Number(n.data),
      grad: Number(n.grad),
      parents: n.parents.slice(),
    })),
    steps,
    forwardSteps,
    step,
    forward,
    select,
  };
  step(0); // open at the start: the root's own gradient, the rest to come with Next or Play
})();
