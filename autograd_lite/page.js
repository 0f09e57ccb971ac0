// The interactive page of autograd-lite: steps through the numbers Python computed.
// Python gives every Value's data, grad and local derivatives; here they are only shown, and
// the tangents of forward mode are the sums of products of those local derivatives.
(function () {
  "use strict";

  // ---------------------------------------------------------------- the data, read once
  // JSON has no NaN or infinities: Python sends those as strings, made numbers here, once.
  const number = (x) => (typeof x === "number" ? x : Number(x));
  const raw = JSON.parse(document.getElementById("autograd-lite-data").textContent);
  const nodes = raw.nodes.map((n) => ({
    name: n.name,
    label: n.label,
    op: n.op,
    data: number(n.data),
    grad: n.grad === null ? null : number(n.grad),
    parents: n.parents,
    shown: n.shown,
    leaf: n.op === "",
    inputs: n.inputs.map((i) => ({
      name: i.name,
      shown: i.shown,
      local: number(i.local),
      rule: i.rule || "",
      at: i.at || "",
    })),
    formula: n.formula,
    explain: n.explain,
  }));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const index = new Map(nodes.map((n, i) => [n.name, i]));
  const root = raw.root;
  const showGrad = raw.show_grad !== false;
  const backwardRaw = raw.backward.map((s) => ({
    node: s.node,
    grad: number(s.grad),
    hidden: s.hidden,
    updates: s.updates.map((u) => ({
      from: u.from,
      parent: u.parent,
      local: number(u.local),
      adjoint: number(u.adjoint),
      product: number(u.product),
      total: number(u.total),
    })),
  }));
  const updateRaw = raw.update
    ? {
        lr: number(raw.update.lr),
        params: raw.update.params.map((p) => ({
          name: p.name,
          before: number(p.before),
          grad: number(p.grad),
          after: number(p.after),
        })),
      }
    : null;
  const children = new Map(nodes.map((n) => [n.name, []]));
  for (const n of nodes) for (const p of n.parents) children.get(p).push(n.name);

  // ---- numbers as the pictures write them (4 significant digits) and as the text does (8)
  const short = (x) => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x));
  const long = (x) => (Number.isFinite(x) ? String(Number(x.toPrecision(8))) : String(x));
  const shown = (name) => (name ? byName.get(name).shown : "(a node not drawn)");
  // A local derivative's rule from the table with its numbers, `2*sub₂ = 2*0.217072`; just the
  // rule when the numbers add nothing; "" for a constant (its value says it all).
  const isNumber = (t) => t !== "" && Number.isFinite(Number(t.replace(/^\((.*)\)$/, "$1")));
  const ruleText = (t) => (!t.rule || isNumber(t.rule) ? "" : t.at === t.rule || isNumber(t.at) ? t.rule : `${t.rule} = ${t.at}`);

  // ---------------------------------------------------------------- the page's elements
  const $ = (id) => document.getElementById(id);
  const graph = $("graph");
  const stepText = $("step-text");
  const explainText = $("explain-text");
  const tooltip = $("tooltip");
  const slider = $("slider");
  const counter = $("counter");
  const wrtChoice = $("wrt");

  // ---------------------------------------------------------------- the drawing
  // Python lays the graph out both ways (left to right, top to bottom); the one not shown
  // waits in a <template>, so the document holds each Value's elements once.
  const layouts = new Map(
    [...document.querySelectorAll("template[data-layout]")].map((t) => [t.dataset.layout, t]),
  );
  const drawing = { svg: null, layout: "", groups: new Map(), ops: new Map(), edges: [], fields: new Map(), boxes: new Map(), size: null };

  function bind(svg, layout) {
    drawing.svg = svg;
    drawing.layout = layout;
    drawing.groups = new Map([...svg.querySelectorAll("g[data-value], g[data-unit]")].map((g) => [g.dataset.value || g.dataset.unit, g]));
    drawing.ops = new Map([...svg.querySelectorAll("g[data-op]")].map((g) => [g.dataset.op, g]));
    drawing.edges = [...svg.querySelectorAll("g.edge[data-from]")].map((g) => {
      const to = g.dataset.to;
      const op = to.endsWith("_op");
      const weight = g.id.startsWith("wv") ? g.id.slice(1) : null; // the neuron view's edges
      return { g, from: g.dataset.from, to: op ? to.slice(0, -3) : to, intoOp: op, weight };
    });
    const texts = (g) => {
      const found = { data: null, grad: null, delta: null };
      for (const t of g.querySelectorAll("text")) {
        const text = t.textContent.trim(); // a page's records pad their numbers' fields
        if (text.startsWith("data ")) found.data = t;
        else if (text.startsWith("grad ")) found.grad = t;
        else if (text.startsWith("δ")) found.delta = t;
      }
      return found;
    };
    drawing.fields = new Map([...drawing.groups].map(([name, g]) => [name, texts(g)]));
    for (const e of drawing.edges) if (e.weight) drawing.fields.set(e.weight, texts(e.g));
    drawing.boxes = new Map();
    camera.shot = null;
    const box = svg.viewBox.baseVal;
    drawing.size = { x: box.x, y: box.y, w: box.width, h: box.height };
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    // Graphviz draws a white page behind the graph; the pane's own background shows instead
    svg.querySelector("g.graph > polygon")?.setAttribute("fill", "none");
  }

  function useLayout(layout) {
    if (layout === drawing.layout || !layouts.has(layout)) return;
    const shelf = layouts.get(drawing.layout);
    const next = layouts.get(layout).content.firstElementChild;
    if (drawing.svg && shelf) shelf.content.appendChild(drawing.svg);
    graph.appendChild(next);
    bind(next, layout);
    $("turn").textContent = layout === "TB" ? "⇥ turn" : "⤓ turn";
    $("turn").title = layout === "TB" ? "lay the graph out left to right" : "lay the graph out top to bottom";
    $("turn").hidden = layout === "neurons";
  }

  // The box of an element in the drawing's own units, measured once per layout.
  function boxOf(el) {
    if (!drawing.boxes.has(el)) {
      const r = el.getBoundingClientRect();
      const m = drawing.svg.getScreenCTM().inverse();
      const a = new DOMPoint(r.left, r.top).matrixTransform(m);
      const b = new DOMPoint(r.right, r.bottom).matrixTransform(m);
      drawing.boxes.set(el, { x1: Math.min(a.x, b.x), y1: Math.min(a.y, b.y), x2: Math.max(a.x, b.x), y2: Math.max(a.y, b.y) });
    }
    return drawing.boxes.get(el);
  }

  function union(boxes) {
    if (!boxes.length) return null;
    return {
      x1: Math.min(...boxes.map((b) => b.x1)),
      y1: Math.min(...boxes.map((b) => b.y1)),
      x2: Math.max(...boxes.map((b) => b.x2)),
      y2: Math.max(...boxes.map((b) => b.y2)),
    };
  }

  // ---------------------------------------------------------------- the camera
  // The view is a centre and a scale (screen pixels per drawing unit), written into the SVG's
  // viewBox; the pane never scrolls, so no step can scroll a page this one is embedded in.
  const MARGIN = 24; // px kept free around what a step frames
  const camera = { cx: 0, cy: 0, s: 1, frame: 0, shot: null }; // shot: what the step frames
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)");
  const pane = () => ({ w: graph.clientWidth, h: graph.clientHeight });
  const recordFont = () => {
    const t = drawing.svg.querySelector("g[data-value] text");
    return t ? Number(t.getAttribute("font-size")) || 11 : 11;
  };
  // the smallest scale at which a record's text is still readable, and a comfortable one
  const smallest = () => (document.body.classList.contains("present") ? 15 : 9) / recordFont();
  const comfortable = () => (document.body.classList.contains("present") ? 20 : 12) / recordFont();

  function place(cx, cy, s) {
    const { w, h } = pane();
    camera.cx = cx;
    camera.cy = cy;
    camera.s = s;
    drawing.svg.setAttribute("viewBox", `${cx - w / 2 / s} ${cy - h / 2 / s} ${w / s} ${h / s}`);
    drawing.svg.dataset.scale = String(s);
  }

  function moveTo(cx, cy, s) {
    cancelAnimationFrame(camera.frame);
    const from = { ...camera };
    if (reduced.matches || !drawing.svg.isConnected) return place(cx, cy, s);
    const start = performance.now();
    const duration = 320;
    const tick = (now) => {
      const t = Math.min(1, (now - start) / duration);
      const e = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2; // ease in and out
      const scale = from.s * (s / from.s) ** e;
      place(from.cx + (cx - from.cx) * e, from.cy + (cy - from.cy) * e, scale);
      if (t < 1) camera.frame = requestAnimationFrame(tick);
    };
    camera.frame = requestAnimationFrame(tick);
  }

  // Bring `box` into view at a readable scale, moving as little as possible; `focus` is what
  // to centre on when `box` cannot fit (the acting Value).
  function frame(box, focus) {
    if (!box) return;
    const { w, h } = pane();
    const fits = Math.min((w - 2 * MARGIN) / (box.x2 - box.x1), (h - 2 * MARGIN) / (box.y2 - box.y1));
    let s = Math.max(camera.s, smallest());
    if (fits < s) s = Math.max(smallest(), fits);
    const half = { x: (w / 2 - MARGIN) / s, y: (h / 2 - MARGIN) / s };
    const along = (c, lo, hi, halfSpan, f1, f2) => {
      if (hi - lo <= 2 * halfSpan) return Math.min(Math.max(c, hi - halfSpan), lo + halfSpan);
      return (f1 + f2) / 2;
    };
    const f = focus || box;
    const [cx, cy] = inside(along(camera.cx, box.x1, box.x2, half.x, f.x1, f.x2), along(camera.cy, box.y1, box.y2, half.y, f.y1, f.y2), s);
    if (cx !== camera.cx || cy !== camera.cy || s !== camera.s) moveTo(cx, cy, s);
  }

  // A centre moved so that the view shows no empty paper beyond the graph's edges (on an
  // axis where the whole graph fits, it is centred instead).
  function inside(cx, cy, s) {
    const { w, h } = pane();
    const g = drawing.size;
    const m = MARGIN / s; // the margin a step keeps may show a little paper
    const axis = (c, start, span, view) => (span + 2 * m <= view ? start + span / 2 : Math.min(Math.max(c, start - m + view / 2), start + span + m - view / 2));
    return [axis(cx, g.x, g.w, w / s), axis(cy, g.y, g.h, h / s)];
  }

  function whole() {
    const { x, y, w, h } = drawing.size;
    return { x1: x, y1: y, x2: x + w, y2: y + h };
  }

  function fitScale(size) {
    const { w, h } = pane();
    return Math.min((w - 2 * MARGIN) / size.w, (h - 2 * MARGIN) / size.h);
  }

  function fitAll() {
    const { x, y, w, h } = drawing.size;
    moveTo(x + w / 2, y + h / 2, fitScale(drawing.size));
  }

  // On open: the whole graph when its text stays readable, else the root's neighbourhood.
  function open() {
    const all = fitScale(drawing.size);
    if (all >= smallest()) {
      const { x, y, w, h } = drawing.size;
      place(x + w / 2, y + h / 2, Math.min(all, 2 * comfortable()));
      return;
    }
    const near = [root, ...byName.get(root).parents];
    const box = union(near.map((n) => drawing.groups.get(n)).filter(Boolean).map(boxOf));
    const s = Math.max(smallest(), Math.min(comfortable(), fitScale({ w: box.x2 - box.x1, h: box.y2 - box.y1 })));
    place(...inside((box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2, s), s);
  }

  // Left to right or top to bottom: whichever shows the graph larger in this window.
  function chooseLayout() {
    let best = "";
    let bestScale = -1;
    for (const [layout, t] of layouts) {
      if (layout === "neurons") continue;
      const [, , w, h] = t.content.firstElementChild.getAttribute("viewBox").split(/[\s,]+/).map(Number);
      const s = fitScale({ w, h });
      if (s > bestScale) [best, bestScale] = [layout, s];
    }
    return best;
  }

  // ---------------------------------------------------------------- the modes and their steps
  // A step is a named record: what it reads (acting), what it changes (updated), and per
  // change the field, the numbers before and after and the terms that make it.
  function backwardPlan() {
    const r = byName.get(root);
    const plan = [
      {
        acting: [root],
        updated: [],
        changes: [],
        lines: [
          `the seed: grad(${r.shown}) = 1   (d${r.shown}/d${r.shown} = 1)`,
          "press Next or → to pass it on.",
        ],
      },
    ];
    for (const s of backwardRaw) {
      const n = byName.get(s.node);
      const changes = s.updates.map((u) => {
        const input = n.inputs.find((i) => i.name === u.parent) || {};
        return {
          name: u.parent,
          field: "grad",
          before: u.total - u.product,
          after: u.total,
          terms: [{ from: u.from, local: u.local, upstream: u.adjoint, product: u.product, rule: input.rule || "", at: input.at || "" }],
        };
      });
      const lines = [`${n.shown} passes grad(${n.shown}) = ${long(s.grad)} to its inputs`];
      for (const c of changes) {
        const t = c.terms[0];
        const p = shown(c.name);
        const via = shown(t.from);
        lines.push(
          "",
          `grad(${p}) += grad(${via}) × ∂${via}/∂${p}`,
          ...(ruleText(t) ? [`  ∂${via}/∂${p} = ${ruleText(t)} = ${long(t.local)}`] : []),
          `  = ${long(t.upstream)} × ${long(t.local)}`,
          `  = ${long(t.product)}  →  grad(${p}) = ${long(c.after)}`,
        );
      }
      if (s.hidden) lines.push("", `(and ${s.hidden} nodes beyond the drawing, folded in)`);
      plan.push({ acting: [s.node], updated: changes.map((c) => c.name), changes, lines });
    }
    plan[plan.length - 1].lines.push("", "Done: every grad is what backward() gives.");
    return plan;
  }

  function forwardPlan() {
    const plan = [
      {
        acting: [],
        updated: [],
        changes: [],
        lines: ["only the leaves (inputs, parameters, constants) have values;", "press Next or → to compute the next node."],
      },
    ];
    for (const name of raw.forward) {
      const n = byName.get(name);
      plan.push({
        acting: n.parents.slice(),
        updated: [name],
        changes: [{ name, field: "data", before: NaN, after: n.data, terms: [] }],
        lines: [n.formula],
      });
    }
    return plan;
  }

  // Forward mode: tangent(n) = Σ ∂n/∂p × tangent(p), over the Values that depend on `wrt`.
  function tangentPlan(wrt) {
    const w = byName.get(wrt);
    const tangent = new Map(nodes.map((n) => [n.name, 0]));
    tangent.set(wrt, 1);
    const depends = new Set([wrt]);
    const d = (name) => `d${byName.get(name).shown}/d${w.shown}`;
    const plan = [
      {
        acting: [wrt],
        updated: [],
        changes: [],
        lines: [
          `the seed: tangent(${w.shown}) = ${d(wrt)} = 1; every other input's tangent is 0.`,
          "Each step computes one Value's tangent from its inputs' (forward mode).",
        ],
      },
    ];
    for (const n of nodes) {
      if (n.leaf || !n.inputs.some((i) => depends.has(i.name))) continue;
      depends.add(n.name);
      const terms = n.inputs
        .filter((i) => i.name !== null)
        .map((i) => ({ from: i.name, local: i.local, upstream: tangent.get(i.name), product: i.local * tangent.get(i.name), rule: i.rule, at: i.at }));
      const after = terms.reduce((sum, t) => sum + t.product, 0);
      tangent.set(n.name, after);
      const live = terms.filter((t) => depends.has(t.from));
      const lines = [
        `tangent(${n.shown}) = ${d(n.name)} = Σ ∂${n.shown}/∂input × tangent(input)`,
        ...live.map(
          (t) =>
            `  ∂${n.shown}/∂${shown(t.from)} × tangent(${shown(t.from)}) = ${long(t.local)} × ${long(t.upstream)} = ${long(t.product)}` +
            (ruleText(t) ? `\n    (∂${n.shown}/∂${shown(t.from)} = ${ruleText(t)})` : ""),
        ),
        `  → tangent(${n.shown}) = ${long(after)}`,
      ];
      if (live.length < terms.length) lines.push(`  (the other inputs do not depend on ${w.shown}: tangent 0)`);
      plan.push({
        acting: live.map((t) => t.from),
        updated: [n.name],
        changes: [{ name: n.name, field: "tangent", before: 0, after, terms: live }],
        lines,
      });
    }
    const last = plan[plan.length - 1];
    if (tangent.get(root) !== undefined && plan.length > 1) {
      last.lines.push(
        "",
        `Done: tangent(${shown(root)}) = ${long(tangent.get(root))}, and the backward pass gives grad(${w.shown}) = ${long(w.grad)}:`,
        "forward and reverse mode agree.",
      );
    }
    return plan;
  }

  function updatePlan() {
    const plan = [
      {
        acting: [],
        updated: [],
        changes: [],
        lines: [`gradient descent at learning rate lr = ${long(updateRaw.lr)}: each step moves one parameter`, "against its grad (from the backward pass)."],
      },
    ];
    for (const p of updateRaw.params) {
      const n = byName.get(p.name);
      plan.push({
        acting: [],
        updated: [p.name],
        changes: [{ name: p.name, field: "data", before: p.before, after: p.after, terms: [], lr: updateRaw.lr, grad: p.grad }],
        lines: [
          `${n.shown} ← ${n.shown} − lr × grad(${n.shown})`,
          `  = ${long(p.before)} − ${long(updateRaw.lr)} × ${long(p.grad)}`,
          `  = ${long(p.after)}`,
        ],
      });
    }
    return plan;
  }

  // The neuron view's backward pass, neuron by neuron from the output layer, as the tutorials
  // derive it: δ = f'(net) × d(root)/d(out), where d(root)/d(out) = Σ w × δ over the neurons
  // the out feeds (or comes from the loss), and each weight's grad = δ × its input.
  function neuronPlan() {
    const net = raw.network;
    const r = byName.get(root);
    const plan = [{ acting: [root], updated: [], changes: [], lines: [`the seed: grad(${r.shown}) = 1`, "each step gives one neuron its error term δ = d" + r.shown + "/d(net)."] }];
    const readers = new Map(net.neurons.map((n) => [n.out, []]));
    for (const n of net.neurons) n.inputs.forEach((x, i) => readers.get(x)?.push({ neuron: n, weight: n.weights[i] }));
    for (const n of [...net.neurons].reverse().sort((a, b) => layerOf(b) - layerOf(a))) {
      const out = byName.get(n.out);
      const sum = byName.get(n.net);
      const name = shown(n.out).replace(/\.out$/, "");
      const slope = n.out === n.net ? { local: 1, rule: "", at: "" } : out.inputs[0];
      const feeds = readers.get(n.out);
      const lines = [`δ(${name}) = d${r.shown}/d${sum.shown} = f'(net) × d${r.shown}/d${out.shown}`];
      if (feeds.length) {
        const terms = feeds.map((f) => `${short(byName.get(f.weight).data)} × ${short(byName.get(f.neuron.net).grad)}`);
        lines.push(`  d${r.shown}/d${out.shown} = Σ w × δ over the neurons it feeds`, `    = ${terms.join(" + ")}`, `    = ${long(out.grad)}`);
      } else {
        lines.push(`  d${r.shown}/d${out.shown} = ${long(out.grad)}   (from ${r.shown})`);
      }
      if (n.out !== n.net) lines.push(`  f'(net) = d${out.shown}/d${sum.shown} = ${long(slope.local)}` + (ruleText(slope) ? `   (${ruleText(slope)})` : ""));
      lines.push(`  δ = ${long(slope.local)} × ${long(out.grad)} = ${long(sum.grad)}`, "", "its weights' grads, δ × input:");
      const changes = [{ name: n.out, field: "delta", before: NaN, after: sum.grad, terms: [] }];
      n.weights.forEach((w, i) => {
        const x = byName.get(n.inputs[i]);
        lines.push(`  grad(${shown(w)}) = ${short(sum.grad)} × ${short(x.data)} = ${long(byName.get(w).grad)}`);
        changes.push({ name: w, field: "grad", before: 0, after: byName.get(w).grad, terms: [] });
      });
      if (n.bias) lines.push(`  grad(${shown(n.bias)}) = δ = ${long(byName.get(n.bias).grad)}`);
      plan.push({ acting: feeds.length ? feeds.map((f) => f.neuron.out) : [root], updated: [n.out], changes, lines });
    }
    plan[plan.length - 1].lines.push("", "Done: every δ and weight grad is what backward() gives.");
    return plan;
  }
  const layerOf = (n) => Number((n.module.match(/(\d+)\.[^.]+\.\d+$/) || [0, 0])[1]);

  const MODES = {
    backward: { plan: backwardPlan, available: showGrad, label: "backward pass" },
    forward: { plan: forwardPlan, available: true, label: "forward pass" },
    tangent: { plan: () => tangentPlan(state.wrt), available: showGrad && !raw.cut && raw.inputs.length > 0, label: "forward mode (tangents)" },
    update: { plan: updatePlan, available: showGrad && updateRaw !== null, label: "update" },
    neurons: { plan: neuronPlan, available: false, label: "backward pass, neuron by neuron" },
  };
  const available = (name) => (state.view === "neurons" ? name === "backward" : MODES[name]?.available);

  // What each Value shows before a mode's first step.
  function initial(mode) {
    const data = new Map(nodes.map((n) => [n.name, n.data]));
    const grad = new Map(nodes.map((n) => [n.name, showGrad ? n.grad : null]));
    let tangent = null;
    if (mode === "backward") for (const n of nodes) grad.set(n.name, n.name === root ? 1 : 0);
    if (mode === "forward") for (const n of nodes) [data.set(n.name, n.leaf ? n.data : NaN), grad.set(n.name, showGrad ? 0 : null)];
    if (mode === "tangent") tangent = new Map(nodes.map((n) => [n.name, n.name === state.wrt ? 1 : 0]));
    if (mode === "update") for (const p of updateRaw.params) data.set(p.name, p.before);
    const delta = new Map();
    if (mode === "neurons") for (const n of nodes) grad.set(n.name, NaN); // not yet known
    return { data, grad, tangent, delta };
  }

  // ---------------------------------------------------------------- showing a step
  const state = { mode: "backward", view: "graph", k: 0, plan: [], wrt: raw.inputs[0] || null, selected: null, timer: null, listeners: [] };

  // A neuron of the neuron view: its δ once known; an edge: its weight's grad.
  function writeUnit(name, values) {
    const g = drawing.groups.get(name);
    const f = drawing.fields.get(name);
    if (g?.dataset.neuron) {
      if (values.delta.has(name)) g.dataset.delta = String(values.delta.get(name));
      else delete g.dataset.delta;
      if (f.delta) say(f.delta, values.delta.has(name) ? "δ = " + short(values.delta.get(name)) : "δ = ?");
    }
    if (!g && f?.grad) say(f.grad, Number.isNaN(values.grad.get(name)) ? "grad ?" : "grad " + short(values.grad.get(name)));
  }

  // A field's new text, squeezed into the room Graphviz gave the text it drew (a tangent
  // or a grad may be longer than what the record was sized for).
  function say(t, text) {
    if (t.textContent === text) return;
    if (t.room === undefined) t.room = t.getComputedTextLength();
    t.textContent = text;
    t.removeAttribute("textLength");
    if (t.getComputedTextLength() > t.room) {
      t.setAttribute("textLength", String(t.room));
      t.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }

  function write(name, values) {
    if (state.view === "neurons") return writeUnit(name, values);
    const g = drawing.groups.get(name);
    if (!g) return;
    const data = values.data.get(name);
    const grad = values.grad.get(name);
    g.dataset.data = String(data);
    if (grad !== null) g.dataset.grad = String(grad);
    const f = drawing.fields.get(name);
    if (f.data) say(f.data, Number.isNaN(data) ? "data ?" : "data " + short(data));
    if (values.tangent) {
      g.dataset.tangent = String(values.tangent.get(name));
      if (f.grad) say(f.grad, `d/d${shown(state.wrt)} ${short(values.tangent.get(name))}`);
    } else {
      delete g.dataset.tangent;
      if (f.grad && grad !== null) say(f.grad, "grad " + short(grad));
    }
  }

  function clearMarks() {
    for (const el of graph.querySelectorAll("[data-role], .flow")) {
      el.removeAttribute("data-role");
      el.classList.remove("flow");
    }
  }

  // The elements of a step: its Values with their ops, and the edges between them.
  function mark(record) {
    clearMarks();
    const els = [];
    const on = new Set([...record.acting, ...record.updated]);
    // a Value's op belongs to the step when the step's numbers flow through it
    const through = (name) => byName.get(name)?.parents.some((p) => on.has(p));
    const role = (name, r) => {
      for (const el of [drawing.groups.get(name), through(name) && drawing.ops.get(name)]) {
        if (el) {
          el.dataset.role = r;
          els.push(el);
        }
      }
    };
    for (const name of record.acting) role(name, "acting");
    for (const name of record.updated) role(name, "updated");
    for (const e of drawing.edges) {
      if (on.has(e.from) && on.has(e.to) && e.from !== e.to) {
        e.g.classList.add("flow");
        els.push(e.g);
      }
    }
    return els;
  }

  function step(k) {
    k = Math.max(0, Math.min(state.plan.length - 1, Math.round(Number(k)) || 0));
    state.k = k;
    const planned = state.view === "neurons" ? "neurons" : state.mode;
    const values = initial(planned);
    for (let i = 1; i <= k; i++) {
      for (const c of state.plan[i].changes) values[c.field].set(c.name, c.after);
    }
    for (const n of nodes) write(n.name, values);
    const record = state.plan[k];
    const els = mark(record);
    const last = state.plan.length - 1;
    stepText.textContent = [`${MODES[planned].label}, step ${k} of ${last}`, ...record.lines].join("\n");
    slider.max = String(last);
    slider.value = String(k);
    counter.textContent = `${k} / ${last}`;
    // when not all fits, the view centres on the one Value the step is about: the one it
    // computes (forward, tangent, update), else the one that passes its grad on (backward)
    const about = record.updated.length === 1 ? record.updated : [...record.acting, ...record.updated];
    const focus = about.map((n) => drawing.groups.get(n)).filter(Boolean);
    camera.shot = [union(els.map(boxOf)), union(focus.slice(0, 1).map(boxOf))];
    frame(...camera.shot);
    remember();
    for (const listener of state.listeners) listener(snapshot(k));
    return k;
  }

  // A step's record as tools see it (the practice mode among them): names, not elements.
  function snapshot(k) {
    const r = state.plan[k];
    return { mode: state.mode, view: state.view, k, steps: state.plan.length - 1, wrt: state.mode === "tangent" ? state.wrt : null, acting: r.acting.slice(), updated: r.updated.slice(), changes: r.changes, text: r.lines.join("\n") };
  }

  function mode(name, wrt = null) {
    if (!available(name)) throw new Error(`no ${name} mode in this page's ${state.view} view`);
    if (name === "tangent" && wrt !== null) {
      if (!raw.inputs.includes(wrt)) throw new Error(`tangent mode needs one of the inputs ${raw.inputs.join(", ")}, got ${wrt}`);
      state.wrt = wrt;
    }
    stop();
    state.mode = name;
    state.plan = MODES[state.view === "neurons" ? "neurons" : name].plan();
    for (const radio of document.querySelectorAll("input[name=mode]")) {
      radio.checked = radio.value === name;
      radio.disabled = !available(radio.value);
    }
    wrtChoice.hidden = name !== "tangent";
    wrtChoice.value = state.wrt || "";
    step(0);
    return state.plan.length - 1;
  }

  // ---------------------------------------------------------------- views: every Value, or the neurons
  let graphLayout = "";
  function view(name) {
    if (name === undefined) return state.view;
    if (name !== "graph" && !(name === "neurons" && layouts.has("neurons"))) throw new Error(`no ${name} view on this page`);
    if (name === state.view) return name;
    select(null);
    if (name === "neurons") graphLayout = drawing.layout;
    state.view = name;
    useLayout(name === "neurons" ? "neurons" : graphLayout);
    $("neurons").textContent = name === "neurons" ? "every Value" : "neurons";
    open();
    mode("backward");
    return name;
  }

  // A click on a neuron opens its scalar graph: the graph view, framing the neuron's box.
  function openNeuron(module) {
    view("graph");
    const box = [...drawing.svg.querySelectorAll("g.cluster")].find((g) => g.querySelector("title")?.textContent === "cluster_" + module);
    if (!box) return;
    for (const el of graph.querySelectorAll(".focus")) el.classList.remove("focus");
    box.classList.add("focus");
    const b = boxOf(box);
    const s = Math.max(smallest(), Math.min(comfortable(), fitScale({ w: b.x2 - b.x1, h: b.y2 - b.y1 })));
    moveTo(...inside((b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2, s), s);
  }

  // ---------------------------------------------------------------- the address: #mode=..&step=..
  function remember() {
    const parts = [`mode=${state.mode}`, `step=${state.k}`];
    if (state.view !== "graph") parts.push(`view=${state.view}`);
    if (state.mode === "tangent") parts.push(`wrt=${state.wrt}`);
    try {
      history.replaceState(null, "", "#" + parts.join("&"));
    } catch {
      // an embedded page (srcdoc) may have no address of its own to write
    }
  }

  function recall() {
    const asked = new URLSearchParams(location.hash.slice(1));
    if (asked.get("view") === "neurons" && layouts.has("neurons")) view("neurons");
    const wanted = asked.get("mode");
    const name = available(wanted) ? wanted : available("backward") ? "backward" : "forward";
    const wrt = raw.inputs.includes(asked.get("wrt")) ? asked.get("wrt") : null;
    mode(name, wrt);
    if (asked.has("step")) step(asked.get("step"));
  }

  // ---------------------------------------------------------------- select: the paths to the root
  function select(name) {
    state.selected = null;
    graph.classList.remove("selecting");
    for (const el of graph.querySelectorAll(".path")) el.classList.remove("path");
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
    graph.classList.add("selecting");
    for (const v of on) {
      drawing.groups.get(v)?.classList.add("path");
      if (v !== name) drawing.ops.get(v)?.classList.add("path");
    }
    for (const e of drawing.edges) {
      if (on.has(e.to) && e.to !== name && (!e.intoOp || on.has(e.from))) e.g.classList.add("path");
    }
    explainText.textContent = byName.get(name).explain;
    return [...on].sort((a, b) => index.get(a) - index.get(b));
  }

  // ---------------------------------------------------------------- hover
  function describe(name) {
    const n = byName.get(name);
    const g = drawing.groups.get(name);
    const lines = [n.label && n.label !== n.shown ? `${n.shown} (${n.label})` : n.shown];
    lines.push(n.op ? `op ${n.op}` : n.label ? "leaf (parameter or input)" : "leaf (constant)");
    lines.push(`data ${long(Number(g.dataset.data))}`);
    if (showGrad) lines.push(`grad ${long(Number(g.dataset.grad))}`);
    if (g.dataset.tangent !== undefined) lines.push(`d${n.shown}/d${shown(state.wrt)} ${long(Number(g.dataset.tangent))}`);
    for (const i of n.inputs) {
      const rule = ruleText(i) ? ` = ${ruleText(i)}` : "";
      lines.push(`∂${n.shown}/∂${i.shown}${rule} = ${long(i.local)}`);
    }
    return lines.join("\n");
  }

  function target(event) {
    const g = event.target.closest("g.value, g.op");
    return g ? g.dataset.value || g.dataset.op : null;
  }

  graph.addEventListener("mouseover", (event) => {
    const name = target(event);
    if (!name) return;
    tooltip.textContent = describe(name);
    tooltip.hidden = false;
  });
  graph.addEventListener("mousemove", (event) => {
    const room = { w: window.innerWidth, h: window.innerHeight };
    const x = event.clientX + 14 + tooltip.offsetWidth > room.w ? event.clientX - 14 - tooltip.offsetWidth : event.clientX + 14;
    const y = event.clientY + 14 + tooltip.offsetHeight > room.h ? event.clientY - 14 - tooltip.offsetHeight : event.clientY + 14;
    tooltip.style.left = Math.max(0, x) + "px";
    tooltip.style.top = Math.max(0, y) + "px";
  });
  graph.addEventListener("mouseout", (event) => {
    if (!target(event) || !event.relatedTarget?.closest?.("g.value, g.op")) tooltip.hidden = true;
  });
  graph.addEventListener("click", (event) => {
    if (drag.moved) return;
    const neuron = event.target.closest("g[data-neuron]");
    if (neuron) return openNeuron(neuron.dataset.neuron);
    if (state.view === "neurons") return;
    const name = target(event);
    select(name === state.selected ? null : name);
  });

  // ---------------------------------------------------------------- pan and zoom by hand
  const drag = { on: false, moved: false, x: 0, y: 0 };
  graph.addEventListener("pointerdown", (event) => {
    Object.assign(drag, { on: true, moved: false, x: event.clientX, y: event.clientY });
  });
  window.addEventListener("pointermove", (event) => {
    if (!drag.on) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    cancelAnimationFrame(camera.frame);
    place(camera.cx - dx / camera.s, camera.cy - dy / camera.s, camera.s);
    drag.x = event.clientX;
    drag.y = event.clientY;
  });
  window.addEventListener("pointerup", () => {
    drag.on = false;
    setTimeout(() => (drag.moved = false));
  });
  graph.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault(); // zoom the drawing, never scroll the page around it
      const r = graph.getBoundingClientRect();
      const at = { x: camera.cx + (event.clientX - r.left - r.width / 2) / camera.s, y: camera.cy + (event.clientY - r.top - r.height / 2) / camera.s };
      const s = Math.max(0.02, Math.min(8, camera.s * Math.exp(-event.deltaY / 500)));
      cancelAnimationFrame(camera.frame);
      place(at.x - (at.x - camera.cx) * (camera.s / s), at.y - (at.y - camera.cy) * (camera.s / s), s);
    },
    { passive: false },
  );
  const zoomBy = (f) => moveTo(camera.cx, camera.cy, Math.max(0.02, Math.min(8, camera.s * f)));

  // ---------------------------------------------------------------- controls
  const SPEEDS = { slow: 2400, normal: 1200, fast: 600, fastest: 150 }; // ms per step: ½×, 1×, 2×, 8×
  function stop() {
    clearInterval(state.timer);
    state.timer = null;
    $("play").textContent = "▶ Play";
  }
  function play() {
    if (state.timer) return stop();
    if (state.k >= state.plan.length - 1) step(0);
    $("play").textContent = "❚❚ Pause";
    state.timer = setInterval(() => {
      if (state.k >= state.plan.length - 1) stop();
      else step(state.k + 1);
    }, SPEEDS[$("speed").value] || SPEEDS.normal);
  }
  $("prev").addEventListener("click", () => (stop(), step(state.k - 1)));
  $("next").addEventListener("click", () => (stop(), step(state.k + 1)));
  $("play").addEventListener("click", play);
  $("speed").addEventListener("change", () => state.timer && (stop(), play()));
  slider.addEventListener("input", () => (stop(), step(slider.value)));
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    if (!MODES[radio.value]?.available) radio.parentElement.hidden = true;
    radio.addEventListener("change", () => mode(radio.value));
  }
  for (const name of raw.inputs) wrtChoice.add(new Option(`d/d${shown(name)}`, name));
  wrtChoice.addEventListener("change", () => mode("tangent", wrtChoice.value));
  $("zoom-in").addEventListener("click", () => zoomBy(1.25));
  $("zoom-out").addEventListener("click", () => zoomBy(1 / 1.25));
  $("zoom-fit").addEventListener("click", fitAll);
  $("neurons").hidden = !layouts.has("neurons");
  $("neurons").addEventListener("click", () => view(state.view === "neurons" ? "graph" : "neurons"));
  $("turn").addEventListener("click", () => {
    useLayout(drawing.layout === "LR" ? "TB" : "LR");
    open();
    step(state.k);
    if (state.selected) select(state.selected);
  });
  $("present").addEventListener("click", () => {
    document.body.classList.toggle("present");
    $("present").setAttribute("aria-pressed", String(document.body.classList.contains("present")));
    place(camera.cx, camera.cy, camera.s);
    step(state.k);
  });
  document.addEventListener("keydown", (event) => {
    if (event.target === slider || event.target.tagName === "SELECT" || event.target.tagName === "INPUT" && event.target.type !== "radio") return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const moves = { ArrowLeft: state.k - 1, ArrowRight: state.k + 1, Home: 0, End: state.plan.length - 1 };
    if (event.key in moves) {
      stop();
      step(moves[event.key]);
      event.preventDefault();
    } else if (event.key === " ") {
      play();
      event.preventDefault();
    }
  });
  // A pane that changes size (the window, the header wrapping, present) keeps the step framed.
  new ResizeObserver(() => {
    if (!drawing.svg) return;
    cancelAnimationFrame(camera.frame);
    place(camera.cx, camera.cy, camera.s);
    if (camera.shot) frame(...camera.shot);
  }).observe(graph);

  // ---------------------------------------------------------------- open
  useLayout(chooseLayout());
  open();
  recall();

  window.autogradLite = {
    nodes: nodes.map((n) => ({ name: n.name, label: n.label, op: n.op, data: n.data, grad: n.grad, parents: n.parents.slice() })),
    steps: backwardRaw.length,
    forwardSteps: raw.forward.length,
    inputs: raw.inputs.slice(),
    step,
    mode,
    current: () => state.k,
    record: (k = state.k) => snapshot(Math.max(0, Math.min(state.plan.length - 1, k))),
    view,
    onStep: (listener) => state.listeners.push(listener),
    select,
    layout: (name) => (name === undefined || state.view !== "graph" || !["LR", "TB"].includes(name) ? drawing.layout : (useLayout(name), open(), step(state.k), drawing.layout)),
    shown,
    format: { short, long },
    say, // write a record's text, squeezed into the room the drawing gave it
  };
})();
