// Practice mode of the interactive page: the numbers the current mode computes are asked, not
// shown. It reads the page's step records (window.autogradLite.record/onStep), so every
// answer is a number Python computed; nothing here recomputes the mathematics.
(function () {
  "use strict";
  const lite = window.autogradLite;
  if (!lite || !lite.onStep) return;
  const raw = JSON.parse(document.getElementById("autograd-lite-data").textContent);
  const { long } = lite.format;
  const shown = lite.shown;
  const RELATIVE = 1e-3; // an answer within this relative distance is right...
  const DIGITS = 4; // ...and so is one that agrees to this many significant digits
  const HELP = ["", "hint", "numbers", "answer"]; // what Enter on an empty box shows next
  const WORD = { grad: "grad", tangent: "tangent", data: "value" };

  const state = {
    on: false,
    whole: false, // the whole-graph exercise: every number of the mode at once
    local: false, // the harder level: each local derivative is asked first
    shownKey: "",
    questions: [],
    answers: new Map(), // question key -> { status: "open" | "right" | "shown", help, verdict }
    score: { right: 0, wrong: 0 },
  };

  // ---------------------------------------------------------------- checking a number
  /** The number a learner typed (a comma or a typographic minus are fine), or NaN. */
  function read(text) {
    const cleaned = text.trim().replace(/−/g, "-").replace(/,/g, ".");
    return cleaned === "" ? NaN : Number(cleaned);
  }

  /** Right when within a relative 1e-3 of the answer or equal to it to 4 significant digits. */
  function isRight(typed, answer) {
    if (!Number.isFinite(typed)) return typed === answer;
    if (Math.abs(typed - answer) <= RELATIVE * Math.abs(answer)) return true;
    return Number(typed.toPrecision(DIGITS)) === Number(answer.toPrecision(DIGITS));
  }

  // ---------------------------------------------------------------- the questions of a record
  // A question: what is asked of which Value, its answer, and three levels of help.
  const rule = (term, d) => (term.rule ? `${d} = ${term.rule}` : `${d}: the derivative of the op at its inputs`);
  const at = (term) => (term.at ? ` = ${term.at}` : "");

  function backwardValue(change) {
    const t = change.terms[0];
    const p = shown(change.name);
    const via = shown(t.from);
    const d = `∂${via}/∂${p}`;
    return {
      name: change.name,
      kind: "grad",
      answer: change.after,
      prompt: `grad(${p}) += grad(${via}) × ${d}, so grad(${p}) =`,
      hint: `chain rule: grad(${p}) += grad(${via}) × ${d};  ${rule(t, d)}`,
      numbers: `grad(${via}) = ${long(t.upstream)},  ${d} = ${long(t.local)}${at(t)},  grad(${p}) was ${long(change.before)}`,
      solution: `grad(${p}) = ${long(change.before)} + ${long(t.upstream)} × ${long(t.local)} = ${long(change.after)}`,
    };
  }

  function tangentValue(change) {
    const n = shown(change.name);
    const terms = change.terms.map((t) => ({ t, d: `∂${n}/∂${shown(t.from)}` }));
    return {
      name: change.name,
      kind: "tangent",
      answer: change.after,
      prompt: `tangent(${n}) = Σ ∂${n}/∂input × tangent(input) =`,
      hint: terms.map(({ t, d }) => rule(t, d)).join(";  "),
      numbers: terms.map(({ t, d }) => `${d} = ${long(t.local)}${at(t)}, tangent(${shown(t.from)}) = ${long(t.upstream)}`).join(";  "),
      solution: `tangent(${n}) = ${terms.map(({ t }) => `${long(t.local)} × ${long(t.upstream)}`).join(" + ")} = ${long(change.after)}`,
    };
  }

  function forwardValue(change, record) {
    const parts = record.text.split("\n")[0].split(" = "); // name = symbols = numbers = value
    const n = shown(change.name);
    return {
      name: change.name,
      kind: "data",
      answer: change.after,
      prompt: `${parts.length >= 3 ? parts.slice(0, 2).join(" = ") : n} =`,
      hint: `compute ${parts[1] || n} from the values of its inputs`,
      numbers: parts.length >= 3 ? `${parts[1]} = ${parts[2]}` : "",
      solution: `${n} = ${long(change.after)}`,
    };
  }

  function updateValue(change) {
    const w = shown(change.name);
    return {
      name: change.name,
      kind: "data",
      answer: change.after,
      prompt: `${w} ← ${w} − lr × grad(${w}) =`,
      hint: `gradient descent: the new ${w} is the old one minus lr times its grad`,
      numbers: `${w} = ${long(change.before)},  lr = ${long(change.lr)},  grad(${w}) = ${long(change.grad)}`,
      solution: `${w} = ${long(change.before)} − ${long(change.lr)} × ${long(change.grad)} = ${long(change.after)}`,
    };
  }

  /** The local derivative of one term, asked before the value it goes into (harder level). */
  function localQuestion(mode, change, t) {
    const [node, input] = mode === "backward" ? [t.from, change.name] : [change.name, t.from];
    const d = `∂${shown(node)}/∂${shown(input)}`;
    return {
      name: input,
      kind: "local",
      of: node,
      answer: t.local,
      prompt: `the local derivative ${d} =`,
      hint: rule(t, d),
      numbers: t.at ? `${d} = ${t.at}` : `${d} at the values shown in the picture`,
      solution: `${d} = ${long(t.local)}`,
    };
  }

  const VALUE = { backward: backwardValue, tangent: tangentValue, forward: forwardValue, update: updateValue };

  function stepQuestions(record) {
    const list = [];
    for (const change of record.changes) {
      if (state.local && (record.mode === "backward" || record.mode === "tangent")) {
        for (const t of change.terms) list.push(localQuestion(record.mode, change, t));
      }
      list.push(VALUE[record.mode](change, record));
    }
    return list.map((q) => ({ ...q, key: `${record.mode}:${record.wrt}:${record.k}:${q.kind}:${q.of || ""}:${q.name}` }));
  }

  /** Every number of the mode at once: each Value's final grad (value, tangent), any order. */
  function wholeQuestions(record) {
    const last = new Map();
    const terms = new Map();
    for (let k = 1; k <= record.steps; k++) {
      const r = lite.record(k);
      for (const change of r.changes) {
        last.set(change.name, { change, record: r });
        if (!terms.has(change.name)) terms.set(change.name, []);
        terms.get(change.name).push(...change.terms);
      }
    }
    const list = [];
    for (const [name, { change, record: r }] of last) {
      const q = VALUE[record.mode](change, r);
      const p = shown(name);
      if (record.mode === "backward") {
        const all = terms.get(name);
        const d = (t) => `∂${shown(t.from)}/∂${p}`;
        q.prompt = `grad(${p}) =`;
        q.hint = `grad(${p}) = Σ grad(consumer) × ∂consumer/∂${p}:  ` + all.map((t) => `grad(${shown(t.from)}) × ${d(t)}` + (t.rule ? ` (${d(t)} = ${t.rule})` : "")).join(" + ");
        q.numbers = all.map((t) => `${long(t.upstream)} × ${long(t.local)}`).join(" + ");
        q.solution = `grad(${p}) = ${q.numbers} = ${long(change.after)}`;
      }
      list.push({ ...q, key: `whole:${record.mode}:${record.wrt}:${q.kind}:${name}` });
    }
    return list;
  }

  // ---------------------------------------------------------------- the panel
  const section = document.createElement("section");
  section.id = "practice";
  section.innerHTML = `
    <h2>Practice</h2>
    <div class="practice-options">
      <label><input type="checkbox" id="practice-on"> ask me the numbers</label>
      <label><input type="checkbox" id="practice-local"> local derivative first</label>
      <label><input type="checkbox" id="practice-whole"> whole graph</label>
    </div>
    <div id="practice-questions"></div>
    <p id="practice-score" aria-live="polite"></p>`;
  const aside = document.querySelector("aside");
  aside.insertBefore(section, aside.firstChild);
  const $ = (id) => document.getElementById(id);
  const box = $("practice-questions");

  function entry(q) {
    if (!state.answers.has(q.key)) state.answers.set(q.key, { status: "open", help: 0, verdict: null, typed: "" });
    return state.answers.get(q.key);
  }

  function build(questions) {
    state.questions = questions;
    box.innerHTML = "";
    if (!questions.length) {
      box.innerHTML = `<p class="practice-note">Nothing to compute at this step: press → for the next.</p>`;
      return;
    }
    for (const q of questions) {
      const row = document.createElement("div");
      row.className = "question";
      row.innerHTML = `<label><span class="prompt"></span> <input type="text" inputmode="decimal" autocomplete="off" spellcheck="false"></label>
        <span class="verdict"></span>
        <button type="button" class="more" title="Enter on an empty box does the same">hint</button>
        <div class="help"></div>`;
      row.querySelector(".prompt").textContent = q.prompt;
      const input = row.querySelector("input");
      input.dataset.answerFor = q.name;
      input.dataset.answer = q.kind;
      input.setAttribute("aria-label", q.prompt);
      input.addEventListener("keydown", (event) => keys(event, q, input));
      row.querySelector(".more").addEventListener("click", () => help(q));
      box.appendChild(row);
      q.row = row;
      paint(q);
    }
  }

  /** Show a question's verdict, help and input as its entry says. */
  function paint(q) {
    const e = entry(q);
    const input = q.row.querySelector("input");
    if (e.verdict) input.dataset.verdict = e.verdict;
    else delete input.dataset.verdict;
    input.readOnly = e.status !== "open";
    if (e.status === "shown") input.value = long(q.answer);
    else if (e.status === "right") input.value = e.typed;
    const verdict = q.row.querySelector(".verdict");
    verdict.textContent = e.status === "right" ? "✓ right" : e.status === "shown" ? "answer shown" : e.verdict === "wrong" ? "✗ not yet" : "";
    verdict.className = `verdict ${e.status === "right" ? "right" : e.verdict === "wrong" ? "wrong" : ""}`;
    const lines = [];
    if (e.help >= 1) lines.push(["hint", q.hint]);
    if (e.help >= 2 && q.numbers) lines.push(["numbers", q.numbers]);
    if (e.help >= 3 || e.status === "shown") lines.push(["answer", q.solution]);
    const help = q.row.querySelector(".help");
    help.innerHTML = "";
    for (const [kind, text] of lines) {
      const p = document.createElement("p");
      p.className = `help-${kind}`;
      p.textContent = `${kind}: ${text}`;
      help.appendChild(p);
    }
    const next = HELP[Math.min(e.help + 1, 3)];
    const more = q.row.querySelector(".more");
    more.textContent = e.status === "open" ? `show ${next}` : "";
    more.hidden = e.status !== "open";
    showScore();
  }

  function showScore() {
    const shownCount = [...state.answers.values()].filter((e) => e.status === "shown").length;
    $("practice-score").textContent = state.on
      ? `score: ${state.score.right} right, ${state.score.wrong} wrong` + (shownCount ? `, ${shownCount} answers shown` : "")
      : "Tick “ask me the numbers” to work each step out yourself: type a number, press Enter.";
  }

  // ---------------------------------------------------------------- answering
  function check(q, input) {
    const e = entry(q);
    if (e.status !== "open") return;
    const typed = read(input.value);
    if (isRight(typed, q.answer)) {
      e.status = "right";
      e.verdict = "right";
      e.typed = input.value;
      state.score.right += 1;
    } else {
      e.verdict = "wrong";
      e.help = Math.max(e.help, Math.min(2, (e.wrongs = (e.wrongs || 0) + 1))); // hint, then numbers
      state.score.wrong += 1;
    }
    paint(q);
    refresh();
    if (e.status === "right") focusNext(q);
  }

  /** The next level of help: the rule's formula, then the numbers, then the answer. */
  function help(q) {
    const e = entry(q);
    if (e.status !== "open") return;
    e.help = Math.min(3, e.help + 1);
    if (e.help === 3) e.status = "shown";
    paint(q);
    refresh();
    if (e.status === "shown") focusNext(q);
  }

  function focusNext(q) {
    const open = state.questions.filter((o) => entry(o).status === "open");
    const after = open.find((o) => state.questions.indexOf(o) > state.questions.indexOf(q)) || open[0];
    if (after) after.row.querySelector("input").focus();
    else q.row.querySelector("input").focus();
  }

  function keys(event, q, input) {
    if (event.key === "Enter") {
      event.preventDefault();
      const e = entry(q);
      if (e.status !== "open") {
        if (!state.whole) lite.step(lite.current() + 1); // done here: on to the next step
        focusFirst();
      } else if (input.value.trim() === "") help(q);
      else check(q, input);
    } else if (event.key === "Escape") {
      input.blur();
    }
  }

  function focusFirst() {
    const open = state.questions.find((q) => entry(q).status === "open") || state.questions[0];
    if (open) open.row.querySelector("input").focus();
  }

  // ---------------------------------------------------------------- hiding what is asked
  const FIELD_TEXT = { grad: "grad ", data: "data ", tangent: "d/d" };

  /** The record's text of `name`'s field in the picture (grad, data or tangent), if drawn. */
  function fieldText(name, field) {
    for (const t of document.querySelectorAll(`#graph g[data-value="${name}"] text`)) {
      if (t.textContent.startsWith(FIELD_TEXT[field])) return t;
    }
    return null;
  }

  function hide(record) {
    for (const q of state.questions) {
      if (q.kind === "local" || entry(q).status !== "open") continue;
      const field = record.mode === "tangent" ? "tangent" : q.kind;
      const text = fieldText(q.name, field);
      if (text) text.textContent = field === "tangent" ? text.textContent.replace(/ [^ ]+$/, " ?") : `${FIELD_TEXT[field]}?`;
    }
    const open = state.questions.some((q) => entry(q).status === "open");
    const stepText = document.getElementById("step-text");
    if (open) {
      const head = state.whole ? `${record.mode}: the whole graph (any order)` : record.text.split("\n")[0];
      stepText.textContent = [record.mode === "forward" && !state.whole ? `${record.mode} pass, step ${record.k} of ${record.steps}` : head,
        "", "Work it out: type each number asked in Practice, then Enter.",
        "Enter on an empty box gives a hint, then the numbers, then the answer."].join("\n");
    }
  }

  // ---------------------------------------------------------------- following the page
  function onStep(record) {
    document.body.classList.toggle("practising", state.on);
    if (!state.on) {
      box.innerHTML = "";
      state.shownKey = "";
      showScore();
      return;
    }
    const key = `${state.whole}:${state.local}:${record.mode}:${record.wrt}:${state.whole ? "" : record.k}`;
    if (key !== state.shownKey) {
      state.shownKey = key;
      build(state.whole ? wholeQuestions(record) : stepQuestions(record));
    }
    hide(record);
  }

  /** Show the current step again (what is answered is revealed, the rest stays hidden). */
  function refresh() {
    lite.step(lite.current());
  }

  function practice(on = true) {
    state.on = Boolean(on);
    $("practice-on").checked = state.on;
    if (state.on && state.whole) lite.step(lite.record().steps);
    else refresh();
    if (state.on) focusFirst();
    return state.on;
  }

  function whole(on = true) {
    state.whole = Boolean(on);
    $("practice-whole").checked = state.whole;
    if (state.whole && !state.on) return practice(true);
    if (state.whole) lite.step(lite.record().steps);
    else refresh();
    focusFirst();
    return state.whole;
  }

  function localFirst(on = true) {
    state.local = Boolean(on);
    $("practice-local").checked = state.local;
    refresh();
    return state.local;
  }

  // A click on a Value while practising goes to its question, if it has one here.
  document.getElementById("graph").addEventListener("click", (event) => {
    const g = state.on && event.target.closest("g[data-value]");
    const q = g && state.questions.find((o) => o.name === g.dataset.value && o.kind !== "local");
    if (q) q.row.querySelector("input").focus();
  });
  $("practice-on").addEventListener("change", (event) => practice(event.target.checked));
  $("practice-whole").addEventListener("change", (event) => whole(event.target.checked));
  $("practice-local").addEventListener("change", (event) => localFirst(event.target.checked));
  lite.onStep(onStep);

  Object.assign(lite, {
    practice,
    score: () => ({ ...state.score }),
    exercise: whole,
    localFirst,
  });
  showScore();
  if (raw.practice) practice(true);
})();
