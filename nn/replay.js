// The training replay: a slider over the recorded steps of a run. Every number shown is one
// that Python recorded (nn/recorder.py); the only thing computed here is the colour of the
// decision-boundary picture, the model's output on a grid, from the recorded weights.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("replay-data").textContent, (key, value) =>
    typeof value === "string" && /^(NaN|-?Infinity)$/.test(value) ? Number(value) : value);
  const STEPS = DATA.records.length;
  const SVG = "http://www.w3.org/2000/svg";
  const GRID = 64; // cells per side of the decision-boundary picture
  const CLASS_COLOURS = ["#d7301f", "#2b6cb0", "#2f855a", "#b7791f", "#6b46c1"];
  const ACTIVATIONS = {
    tanh: Math.tanh,
    relu: (z) => (z > 0 ? z : 0),
    sigmoid: (z) => 1 / (1 + Math.exp(-z)),
    null: (z) => z,
  };
  const state = { step: 0, sample: DATA.samples[0], param: DATA.params[0], timer: null };
  const el = (id) => document.getElementById(id);

  // ------------------------------------------------------------ numbers and names

  /** A number as the page writes it in text: 6 significant digits. */
  function short(x) {
    if (!Number.isFinite(x)) return String(x);
    if (x === 0) return "0";
    const text = Math.abs(x) >= 1e-4 && Math.abs(x) < 1e6 ? x.toPrecision(6) : x.toExponential(4);
    return text.includes("e") ? text : text.replace(/\.?0+$/, "");
  }

  /** The index of each parameter by its dotted name. */
  const PARAM = Object.fromEntries(DATA.params.map((name, i) => [name, i]));

  /** A dotted name in a few letters, `layers.0.neurons.3.w.1` as `L0 N3 w1` (tables). */
  function brief(name) {
    return name.replace(/layers\.(\d+)\.?/, "L$1 ").replace(/neurons\.(\d+)\.?/, "N$1 ")
      .replace(/w\.(\d+)/, "w$1").trim() || "neuron";
  }

  /** A neuron's prefix joined to a parameter's own name (`w.0`, `b`). */
  function paramName(prefix, own) {
    return prefix ? `${prefix}.${own}` : own;
  }

  function make(tag, attributes, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  // ------------------------------------------------------------ the loss curve

  const curve = { width: 400, height: 160, pad: 52 };

  function lossScale() {
    const losses = DATA.records.map((r) => r.loss).filter(Number.isFinite);
    const low = Math.min(...losses);
    const high = Math.max(...losses);
    const log = low > 0 && high / low > 20;
    const f = log ? Math.log10 : (y) => y;
    const [a, b] = [f(low), f(high) === f(low) ? f(low) + 1 : f(high)];
    return {
      x: (k) => curve.pad + ((curve.width - curve.pad - 8) * k) / Math.max(STEPS, 1),
      y: (loss) => 8 + (curve.height - 8 - 22) * (1 - (f(loss) - a) / (b - a)),
      log,
      low,
      high,
    };
  }

  function drawCurve() {
    const svg = el("curve");
    svg.setAttribute("viewBox", `0 0 ${curve.width} ${curve.height}`);
    const scale = lossScale();
    const points = DATA.records
      .map((r, i) => (Number.isFinite(r.loss) ? `${scale.x(i + 1)},${scale.y(r.loss)}` : ""))
      .filter(Boolean);
    make("line", { x1: curve.pad, y1: curve.height - 22, x2: curve.width - 8,
      y2: curve.height - 22, class: "axis" }, svg);
    make("line", { x1: curve.pad, y1: 8, x2: curve.pad, y2: curve.height - 22, class: "axis" }, svg);
    make("polyline", { points: points.join(" "), class: "loss-line" }, svg);
    const labels = [[scale.high, 12], [scale.low, curve.height - 24]];
    for (const [value, y] of labels) {
      make("text", { x: curve.pad - 3, y, class: "tick", "text-anchor": "end" }, svg)
        .textContent = Number(value).toPrecision(3);
    }
    make("text", { x: curve.pad, y: curve.height - 6, class: "tick" }, svg).textContent = "0";
    make("text", { x: curve.width - 8, y: curve.height - 6, class: "tick", "text-anchor": "end" },
      svg).textContent = `step ${STEPS}`;
    if (scale.log) {
      make("text", { x: curve.width / 2, y: curve.height - 6, class: "tick",
        "text-anchor": "middle" }, svg).textContent = "(log scale)";
    }
    make("line", { id: "curve-step", y1: 8, y2: curve.height - 22, class: "marker" }, svg);
    make("circle", { id: "curve-dot", r: 4, class: "marker-dot" }, svg);
    svg.addEventListener("click", (event) => {
      const box = svg.getBoundingClientRect();
      const x = ((event.clientX - box.left) / box.width) * curve.width;
      const k = Math.round(((x - curve.pad) / (curve.width - curve.pad - 8)) * STEPS);
      seek(Math.max(0, Math.min(STEPS, k)));
    });
    return scale;
  }

  function showCurve(scale, k) {
    const x = scale.x(k);
    el("curve-step").setAttribute("x1", x);
    el("curve-step").setAttribute("x2", x);
    const dot = el("curve-dot");
    const loss = k > 0 ? DATA.records[k - 1].loss : NaN;
    dot.style.display = Number.isFinite(loss) ? "" : "none";
    if (Number.isFinite(loss)) {
      dot.setAttribute("cx", x);
      dot.setAttribute("cy", scale.y(loss));
    }
  }

  // ------------------------------------------------------------ the decision boundary

  /** The model's outputs for input `x` with the flat parameter list `w` (parameter order). */
  function outputs(w, x) {
    let values = x;
    let i = 0;
    for (const layer of DATA.model.layers) {
      const act = ACTIVATIONS[layer.activation];
      const next = [];
      for (let n = 0; n < layer.neurons.length; n++) {
        let z = 0;
        for (const v of values) z += w[i++] * v;
        z += w[i++];
        next.push(act(z));
      }
      values = next;
    }
    return values;
  }

  const field = (() => {
    const xs = DATA.xs;
    if (DATA.model.nin !== 2) return null;
    const lo = [0, 1].map((d) => Math.min(...xs.map((p) => p[d])));
    const hi = [0, 1].map((d) => Math.max(...xs.map((p) => p[d])));
    const pad = [0, 1].map((d) => 0.15 * (hi[d] - lo[d] || 1));
    const targets = DATA.ys.map(Number);
    const classes = [...new Set(targets)].sort((a, b) => a - b);
    return {
      lo: lo.map((v, d) => v - pad[d]),
      hi: hi.map((v, d) => v + pad[d]),
      classes,
      middle: (classes[0] + classes[classes.length - 1]) / 2,
      spread: (classes[classes.length - 1] - classes[0]) / 2 || 1,
    };
  })();

  function classColour(y) {
    if (!field) return CLASS_COLOURS[0];
    const single = DATA.model.layers[DATA.model.layers.length - 1].neurons.length === 1;
    const index = single ? (y > field.middle ? 1 : 0) : y % CLASS_COLOURS.length;
    return CLASS_COLOURS[index];
  }

  function hexRgb(hex) {
    return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }

  /** The colour of one grid cell: the side of the boundary, paler near it. */
  function cellColour(out) {
    let index, strength;
    if (out.length === 1) {
      const t = (out[0] - field.middle) / field.spread;
      index = t > 0 ? 1 : 0;
      strength = Math.min(1, Math.abs(t));
    } else {
      index = out.indexOf(Math.max(...out)) % CLASS_COLOURS.length;
      const sorted = [...out].sort((a, b) => b - a);
      strength = Math.min(1, sorted[0] - sorted[1]);
    }
    const rgb = hexRgb(CLASS_COLOURS[index]);
    const mix = 0.15 + 0.45 * (Number.isFinite(strength) ? strength : 1);
    return rgb.map((c) => Math.round(255 + (c - 255) * mix));
  }

  function drawField(k) {
    const canvas = el("field");
    const context = canvas.getContext("2d");
    const image = context.createImageData(GRID, GRID);
    const w = DATA.weights[k];
    for (let row = 0; row < GRID; row++) {
      for (let col = 0; col < GRID; col++) {
        const x0 = field.lo[0] + ((field.hi[0] - field.lo[0]) * (col + 0.5)) / GRID;
        const x1 = field.hi[1] - ((field.hi[1] - field.lo[1]) * (row + 0.5)) / GRID;
        const [r, g, b] = cellColour(outputs(w, [x0, x1]));
        const at = 4 * (row * GRID + col);
        image.data.set([r, g, b, 255], at);
      }
    }
    canvas.width = GRID;
    canvas.height = GRID;
    context.putImageData(image, 0, 0);
  }

  function drawPoints() {
    const svg = el("points");
    svg.setAttribute("viewBox", "0 0 300 300");
    DATA.xs.forEach((p, i) => {
      const cx = (300 * (p[0] - field.lo[0])) / (field.hi[0] - field.lo[0]);
      const cy = 300 - (300 * (p[1] - field.lo[1])) / (field.hi[1] - field.lo[1]);
      const recorded = DATA.samples.includes(i);
      const dot = make("circle", { cx, cy, r: recorded ? 6 : 3.5, fill: classColour(DATA.ys[i]),
        class: recorded ? "point recorded" : "point", "data-sample": i }, svg);
      if (recorded) {
        make("title", {}, dot).textContent = `sample ${i}: click to follow it`;
        dot.addEventListener("click", () => choose(i));
      }
    });
  }

  // ------------------------------------------------------------ the network

  const net = { width: 560, rowHeight: 24, left: 40, right: 64 };

  /** Columns of nodes: the inputs, then each layer's neurons, with their positions. */
  function columns() {
    const sizes = [DATA.model.nin, ...DATA.model.layers.map((l) => l.neurons.length)];
    const most = Math.max(...sizes);
    const height = Math.max(most * net.rowHeight + 30, 140);
    const step = (net.width - net.left - net.right) / (sizes.length - 1);
    return {
      height,
      at: sizes.map((size, c) => Array.from({ length: size }, (_, r) => ({
        x: net.left + c * step,
        y: height / 2 + (r - (size - 1) / 2) * net.rowHeight * Math.min(1, most / size / 1.5 + 0.34),
      }))),
    };
  }

  function drawNetwork() {
    const svg = el("network");
    const layout = columns();
    svg.setAttribute("viewBox", `0 0 ${net.width} ${layout.height}`);
    const edges = make("g", { class: "edges" }, svg);
    const nodes = make("g", { class: "nodes" }, svg);
    layout.at[0].forEach((p, r) => {
      make("circle", { cx: p.x, cy: p.y, r: 8, class: "input" }, nodes);
      make("text", { x: p.x - 12, y: p.y + 4, class: "name", "text-anchor": "end" }, nodes)
        .textContent = `x${r}`;
    });
    DATA.model.layers.forEach((layer, d) => {
      layer.neurons.forEach((prefix, n) => {
        const p = layout.at[d + 1][n];
        layout.at[d].forEach((q, r) => {
          make("line", { x1: q.x + 8, y1: q.y, x2: p.x - 9, y2: p.y, class: "weight",
            "data-weight": paramName(prefix, `w.${r}`) }, edges);
        });
        const g = make("g", { class: "neuron", "data-neuron": prefix || "neuron" }, nodes);
        make("circle", { cx: p.x, cy: p.y, r: 9 }, g);
        make("rect", { x: p.x - 3, y: p.y + 9.5, width: 6, height: 4, class: "bias",
          "data-weight": paramName(prefix, "b") }, g);
      });
    });
    const last = layout.at[layout.at.length - 1];
    last.forEach((p, r) => {
      make("text", { x: p.x + 14, y: p.y + 4, class: "name" }, nodes).textContent =
        last.length === 1 ? "output" : `out ${r}`;
    });
    svg.addEventListener("mouseover", (event) => hover(event.target));
    svg.addEventListener("mouseout", () => { el("tooltip").hidden = true; });
    svg.addEventListener("mousemove", (event) => {
      const tip = el("tooltip");
      tip.style.left = `${event.clientX + 14}px`;
      tip.style.top = `${event.clientY + 10}px`;
    });
  }

  function hover(target) {
    const name = target.dataset && target.dataset.weight;
    const tip = el("tooltip");
    if (!name) return;
    const i = PARAM[name];
    const k = state.step;
    const lines = [name, `value ${short(DATA.weights[k][i])} (step ${k})`];
    if (k > 0) lines.push(`grad ${short(DATA.records[k - 1].grads[i])} (step ${k})`);
    tip.textContent = lines.join("\n");
    tip.hidden = false;
    pick(name);
  }

  /** The largest |weight| over the run, so an edge's thickness means the same at every step. */
  const WEIGHT_SCALE = Math.max(...DATA.weights.flat().map(Math.abs).filter(Number.isFinite), 1e-12);

  function showNetwork(k) {
    const w = DATA.weights[k];
    for (const edge of document.querySelectorAll("[data-weight]")) {
      const value = w[PARAM[edge.dataset.weight]];
      edge.dataset.data = String(value);
      edge.classList.toggle("negative", value < 0);
      if (edge.tagName === "line") {
        const size = Math.sqrt(Math.min(1, Math.abs(value) / WEIGHT_SCALE));
        edge.setAttribute("stroke-width", (0.4 + 5 * size).toFixed(2));
        edge.setAttribute("stroke-opacity", (0.25 + 0.75 * size).toFixed(2));
      }
    }
    const values = k > 0 ? DATA.records[k - 1].samples[String(state.sample)] : undefined;
    DATA.model.layers.forEach((layer, d) => layer.neurons.forEach((prefix, n) => {
      const g = document.querySelector(`[data-neuron="${prefix || "neuron"}"]`);
      if (values) {
        g.dataset.data = String(values.a[d][n]);
        g.dataset.delta = String(values.delta[d][n]);
        g.style.setProperty("--fill", activationColour(values.a[d][n]));
      } else {
        delete g.dataset.data;
        delete g.dataset.delta;
        g.style.removeProperty("--fill");
      }
    }));
  }

  function activationColour(a) {
    const t = Math.max(-1, Math.min(1, a));
    const rgb = hexRgb(CLASS_COLOURS[t >= 0 ? 1 : 0]);
    return `rgb(${rgb.map((c) => Math.round(255 + (c - 255) * Math.abs(t) * 0.8)).join(",")})`;
  }

  // ------------------------------------------------------------ the chosen sample

  function showSample(k) {
    const i = state.sample;
    const box = el("sample");
    const x = DATA.xs[i].map(short).join(", ");
    el("sample-title").textContent = `x = (${x}), target ${DATA.ys[i]}`;
    if (k === 0) {
      box.innerHTML = "<p class='note'>Before training: step 1's forward and backward pass " +
        "run on these weights. Move to step 1 to see them.</p>";
      return;
    }
    const values = DATA.records[k - 1].samples[String(i)];
    if (!values) {
      box.innerHTML = "<p class='note'>Not recorded at this step (the loss had no graph " +
        "through this sample).</p>";
      return;
    }
    const rows = [];
    DATA.model.layers.forEach((layer, d) => layer.neurons.forEach((prefix, n) => {
      const act = layer.activation || "linear";
      rows.push(`<tr data-neuron-row="${prefix || "neuron"}"><td>${brief(prefix)}</td>` +
        `<td>${short(values.z[d][n])}</td><td>${act}</td><td>${short(values.a[d][n])}</td>` +
        `<td>${short(values.delta[d][n])}</td></tr>`);
    }));
    box.innerHTML = `<p class="note">In step ${k}'s forward pass (the weights before its ` +
      "update): z = w·x + b, a = activation(z); backward: δ = d(loss)/dz.</p>" +
      "<table><thead><tr><th>neuron</th><th>z</th><th></th><th>a</th><th>δ</th></tr></thead>" +
      `<tbody>${rows.join("")}</tbody></table>`;
  }

  function choose(i) {
    state.sample = i;
    el("sample-choice").value = String(i);
    for (const dot of document.querySelectorAll(".point.chosen")) dot.classList.remove("chosen");
    const dot = document.querySelector(`.point[data-sample="${i}"]`);
    if (dot) dot.classList.add("chosen");
    seek(state.step);
  }

  // ------------------------------------------------------------ the update of every weight

  function ruleText() {
    const o = DATA.optimizer;
    if (!o) return "w ← w + Δ (the optimizer was not given to the recorder: Δ as recorded)";
    const decay = o.weight_decay ? ` g = grad + ${o.weight_decay}·w;` : " g = grad;";
    if (o.kind === "adam") {
      return `Adam:${decay} m ← ${o.beta1}·m + (1−${o.beta1})·g; v ← ${o.beta2}·v + ` +
        `(1−${o.beta2})·g²; w ← w − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ${o.eps})`;
    }
    if (o.momentum) return `SGD with momentum:${decay} b ← ${o.momentum}·b + g; w ← w − lr·b`;
    return `SGD:${decay} w ← w − lr·g`;
  }

  /** The columns of the update table: what the optimizer read for each weight. */
  function updateColumns() {
    const o = DATA.optimizer;
    if (o && o.kind === "adam") return ["w before", "grad", "m", "v", "w after"];
    if (o && o.momentum) return ["w before", "grad", "b", "w after"];
    return ["w before", "grad", "w after"];
  }

  /** One weight's row at step k: the numbers of its update, each as Python recorded it. */
  function updateCells(i, k) {
    const after = DATA.weights[k][i];
    if (k === 0) return updateColumns().map((_, c, all) => (c === all.length - 1 ? after : ""));
    const record = DATA.records[k - 1];
    const middle = record.m ? [record.m[i], record.v[i]] : record.buffer ? [record.buffer[i]] : [];
    return [DATA.weights[k - 1][i], record.grads[i], ...middle, after];
  }

  /** The chosen weight's update as one line of arithmetic, with the step's numbers. */
  function updateText(i, k) {
    const name = DATA.params[i];
    const after = DATA.weights[k][i];
    if (k === 0) return `${name} = ${short(after)} (before training)`;
    const before = DATA.weights[k - 1][i];
    const record = DATA.records[k - 1];
    const grad = record.grads[i];
    const o = DATA.optimizer;
    const lr = short(record.lr);
    const head = `${name} ← ${short(before)} − `;
    if (!o) return `${name} ← ${short(before)} + ${short(after - before)} = ${short(after)}`;
    if (o.kind === "adam") {
      return `${head}${lr}/(1−${o.beta1}^${record.t}) × ${short(record.m[i])} / ` +
        `(√${short(record.v[i])}/√(1−${o.beta2}^${record.t}) + ${o.eps}) = ${short(after)}`;
    }
    if (record.buffer) return `${head}${lr} × ${short(record.buffer[i])} = ${short(after)}`;
    const g = o.weight_decay ? `(${short(grad)} + ${o.weight_decay} × ${short(before)})` : short(grad);
    return `${head}${lr} × ${g} = ${short(after)}`;
  }

  function buildUpdates() {
    const head = updateColumns().map((c) => `<th>${c}</th>`).join("");
    const rows = DATA.params.map((name) => `<tr class="update" data-param="${name}">` +
      `<td title="${name}">${brief(name)}</td>${updateColumns().map(() => "<td></td>").join("")}</tr>`);
    el("updates").innerHTML = `<table><thead><tr><th>parameter</th>${head}</tr></thead>` +
      `<tbody>${rows.join("")}</tbody></table>`;
    el("updates").addEventListener("click", (event) => {
      const row = event.target.closest(".update");
      if (row) pick(row.dataset.param);
    });
  }

  function pick(name) {
    state.param = name;
    for (const row of document.querySelectorAll(".update.lit")) row.classList.remove("lit");
    const row = document.querySelector(`.update[data-param="${name}"]`);
    row.classList.add("lit");
    row.scrollIntoView({ block: "nearest" });
    el("formula").textContent = updateText(PARAM[name], state.step);
  }

  function showUpdates(k) {
    const o = DATA.optimizer;
    const lr = k > 0 && o ? `, lr = ${short(DATA.records[k - 1].lr)}` : "";
    el("rule").textContent = ruleText() + lr;
    const rows = el("updates").querySelectorAll("tbody tr");
    rows.forEach((row, i) => {
      const cells = updateCells(i, k);
      for (let c = 0; c < cells.length; c++) {
        row.cells[c + 1].textContent = cells[c] === "" ? "" : short(cells[c]);
      }
    });
    el("formula").textContent = updateText(PARAM[state.param], k);
  }

  // ------------------------------------------------------------ stepping

  let scale = null;

  function seek(k) {
    k = Math.max(0, Math.min(STEPS, Math.round(Number(k)) || 0));
    state.step = k;
    el("slider").value = String(k);
    el("counter").textContent = `step ${k} / ${STEPS}`;
    const loss = DATA.records[Math.max(k, 1) - 1].loss;
    const lossBox = el("loss");
    lossBox.dataset.loss = String(loss);
    lossBox.textContent = k > 0 ? `loss ${short(loss)}` :
      `loss at these weights ${short(loss)} (computed in step 1)`;
    showCurve(scale, k);
    if (field) drawField(k);
    showNetwork(k);
    showSample(k);
    showUpdates(k);
    return k;
  }

  function play() {
    if (state.timer !== null) {
      clearInterval(state.timer);
      state.timer = null;
      el("play").textContent = "▶ Play";
      return;
    }
    if (state.step >= STEPS) seek(0);
    el("play").textContent = "❚❚ Pause";
    state.timer = setInterval(() => {
      if (state.step >= STEPS) play();
      else seek(state.step + 1);
    }, Math.max(40, 4000 / STEPS));
  }

  function keys(event) {
    if (event.target.tagName === "SELECT" || (event.target.tagName === "INPUT" && event.target.type !== "range")) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1, PageDown: 10, PageUp: -10 };
    if (event.key in moves) seek(state.step + moves[event.key]);
    else if (event.key === "Home") seek(0);
    else if (event.key === "End") seek(STEPS);
    else if (event.key === " ") play();
    else return;
    event.preventDefault();
  }

  function start() {
    scale = drawCurve();
    if (field) drawPoints();
    else {
      el("field-title").textContent = "Inputs";
      el("field-box").hidden = true;
      el("field-note").textContent = `The decision boundary is drawn for two inputs; this ` +
        `model reads ${DATA.model.nin}.`;
    }
    drawNetwork();
    buildUpdates();
    el("sample-choice").innerHTML = DATA.samples.map((i) => `<option>${i}</option>`).join("");
    el("sample-choice").addEventListener("change", (event) => choose(Number(event.target.value)));
    el("slider").max = String(STEPS);
    el("slider").addEventListener("input", (event) => seek(event.target.value));
    el("prev").addEventListener("click", () => seek(state.step - 1));
    el("next").addEventListener("click", () => seek(state.step + 1));
    el("play").addEventListener("click", play);
    document.addEventListener("keydown", keys);
    window.autogradLite = Object.assign(window.autogradLite || {}, {
      replay: { steps: STEPS, seek, current: () => state.step, choose, data: DATA },
    });
    choose(lively() ?? state.sample);
  }

  /** The first recorded sample still being learned at the end (some δ not 0), to follow first. */
  function lively() {
    const last = DATA.records[STEPS - 1].samples;
    return DATA.samples.find((i) => last[String(i)] && last[String(i)].delta.flat().some((d) => d !== 0));
  }

  start();
})();
