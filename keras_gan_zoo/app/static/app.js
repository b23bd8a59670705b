// The page of `keras-gan-zoo serve`: every action is a call to the JSON API beside it
// (GET /api/models, POST /api/generate, /api/complete, /api/translate, /api/sentences,
// /api/predict). No framework, no build step, nothing loaded from elsewhere.
"use strict";

const MAX_SEED = 4294967295;
const $ = (id) => document.getElementById(id);

const state = {
  models: [],          // the descriptions of GET /api/models
  model: null,         // the chosen one
  walkRequest: 0,      // the newest walk request: older answers are dropped
};

// ------------------------------------------------------------------------- API

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({detail: response.statusText}));
  if (!response.ok) {
    throw new Error(`${response.status}: ${data.detail || response.statusText}`);
  }
  return data;
}

// ---------------------------------------------------------------- results area

function showError(message) {
  const error = $("error");
  error.textContent = message;
  error.hidden = !message;
}

function setStatus(message) {
  $("status").textContent = message;
}

function imageElement(src, title, scale) {
  const image = document.createElement("img");
  image.src = src;
  image.alt = title;
  image.title = title;
  image.className = "sample";
  image.addEventListener("load", () => {
    image.style.width = `${image.naturalWidth * scale}px`;
  });
  return image;
}

function showImages(sources, titles, scale = 4, before = []) {
  const area = $("images");
  area.replaceChildren(...before);
  sources.forEach((src, i) => area.appendChild(imageElement(src, titles[i], scale)));
}

function figure(src, caption, scale) {
  const box = document.createElement("figure");
  const text = document.createElement("figcaption");
  text.textContent = caption;
  box.append(imageElement(src, caption, scale), text);
  return box;
}

async function run(action, button) {
  showError("");
  if (button) button.disabled = true;
  try {
    await action();
  } catch (error) {
    showError(error.message);
  } finally {
    if (button) button.disabled = false;
  }
}

// ------------------------------------------------------------------ conditions

function intValue(id) {
  const text = $(id).value.trim();
  return /^\d+$/.test(text) ? Number(text) : text;  // the server explains a bad value
}

function conditions({forWalk = false} = {}) {
  const model = state.model;
  const request = {};
  if (model.classes) {
    const label = $("label").value;
    if (label !== "") request.labels = Number(label);
    else if (forWalk) request.labels = 0;
  }
  if (model.captions) request.captions = $("caption").value;
  if (model.codes) {
    const codes = {};
    const selects = [...$("categorical-codes").querySelectorAll("select")];
    const chosen = selects.map((select) => select.value).filter((value) => value !== "");
    if (chosen.length && chosen.length !== selects.length) {
      throw new Error("Set every categorical code, or leave them all on \"from seed\".");
    }
    if (chosen.length) {
      codes.categorical = chosen.length === 1 ? Number(chosen[0]) : chosen.map(Number);
    }
    if ($("fix-continuous").checked) {
      const values = [...$("continuous-codes").querySelectorAll("input")].map(
        (slider) => Number(slider.value));
      codes.continuous = values.length === 1 ? values[0] : values;
    }
    if (Object.keys(codes).length) request.codes = codes;
  }
  if (model.truncation) request.psi = Number($("psi").value);
  return request;
}

function imageTitles(result) {
  return result.images.map((_, i) => {
    const parts = [`seed ${result.seed}, image ${i}`];
    if (result.labels) parts.push(`class ${className(result.labels[i])}`);
    if (result.captions) parts.push(`"${result.captions[i]}"`);
    return parts.join(", ");
  });
}

function className(label) {
  return state.model.classes ? state.model.classes[label] : String(label);
}

// -------------------------------------------------------------------- sampling

async function generate() {
  const model = state.model;
  const result = await api("/api/generate", {
    model: model.name, seed: intValue("seed"), n: intValue("n"), ...conditions(),
  });
  showImages(result.images, imageTitles(result), scaleFor(result.width));
  setStatus(`${model.name}: ${result.images.length} image(s) of seed ${result.seed} in ` +
            `${result.seconds.toFixed(2)} s.`);
}

function scaleFor(width) {
  return Math.max(1, Math.round(112 / width));
}

async function walk({steps = null} = {}) {
  const model = state.model;
  const ticket = ++state.walkRequest;
  const path = {from_seed: intValue("walk-from"), to_seed: intValue("walk-to"),
                method: $("walk-method").value};
  if (steps === null) path.t = Number($("walk-t").value);
  else path.steps = steps;
  const result = await api("/api/generate", {model: model.name, walk: path,
                                             ...conditions({forWalk: true})});
  if (ticket !== state.walkRequest) return;  // a newer position of the slider won
  const titles = result.walk.t.map((t) => `t = ${t.toFixed(2)}`);
  const scale = scaleFor(result.width) * (steps === null ? 2 : 1);
  showImages(result.images, titles, scale);
  setStatus(`${model.name}: ${result.walk.method} from seed ${result.walk.from_seed} to ` +
            `${result.walk.to_seed}, ${titles.join(", ")} (${result.seconds.toFixed(2)} s).`);
}

let walkTimer = null;
function walkSoon() {
  $("walk-t-value").textContent = Number($("walk-t").value).toFixed(2);
  clearTimeout(walkTimer);
  walkTimer = setTimeout(() => run(() => walk()), 80);
}

// ---------------------------------------------------------- drawing on canvases

// A canvas at the model's resolution, shown enlarged: each stroke sets whole pixels,
// so what is drawn is what the model gets.
class PixelCanvas {
  constructor(canvas, {background, ink, brush, editableRows = () => canvas.height}) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.background = background;
    this.ink = ink;
    this.brush = brush;
    this.erasing = false;
    this.editableRows = editableRows;
    this.last = null;
    canvas.addEventListener("pointerdown", (event) => {
      canvas.setPointerCapture(event.pointerId);
      this.last = this.cell(event);
      this.stroke(this.last, this.last);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!this.last) return;
      const cell = this.cell(event);
      this.stroke(this.last, cell);
      this.last = cell;
    });
    const stop = () => { this.last = null; };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
  }

  resize(width, height) {
    this.canvas.width = width;
    this.canvas.height = height;
    this.clear();
  }

  clear() {
    this.context.fillStyle = this.background;
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  cell(event) {
    const box = this.canvas.getBoundingClientRect();
    return {x: (event.clientX - box.left) * this.canvas.width / box.width,
            y: (event.clientY - box.top) * this.canvas.height / box.height};
  }

  stroke(from, to) {
    const steps = Math.max(1, Math.ceil(Math.hypot(to.x - from.x, to.y - from.y) * 2));
    this.context.fillStyle = this.erasing ? this.background : this.ink;
    const half = this.brush / 2;
    const limit = this.editableRows();
    for (let i = 0; i <= steps; i++) {
      const x = Math.round(from.x + (to.x - from.x) * i / steps - half);
      const y = Math.round(from.y + (to.y - from.y) * i / steps - half);
      const height = Math.min(this.brush, limit - y);
      if (height > 0) this.context.fillRect(x, y, this.brush, height);
    }
  }

  load(file) {
    const reader = new FileReader();
    reader.onload = () => {
      const picture = new Image();
      picture.onload = () => {
        this.clear();
        this.context.imageSmoothingQuality = "high";
        this.context.drawImage(picture, 0, 0, this.canvas.width, this.canvas.height);
      };
      picture.src = reader.result;
    };
    reader.readAsDataURL(file);
  }

  dataURL() {
    return this.canvas.toDataURL("image/png");
  }
}

const completion = new PixelCanvas($("complete-canvas"), {
  background: "#000", ink: "#fff", brush: 2,
  editableRows: () => Number($("visible-rows").value) || 0,
});
const sketch = new PixelCanvas($("sketch-canvas"), {background: "#fff", ink: "#000", brush: 2});

function showVisibleLine() {
  const rows = Number($("visible-rows").value) || 0;
  const height = $("complete-canvas").height;
  $("visible-line").style.top = `${100 * Math.min(rows, height) / height}%`;
}

async function complete() {
  const model = state.model;
  const result = await api("/api/complete", {
    model: model.name, image: completion.dataURL(), visible_rows: intValue("visible-rows"),
    n: intValue("complete-n"), seed: intValue("seed"),
    ...(model.classes && $("label").value !== "" ? {labels: Number($("label").value)} : {}),
  });
  const scale = scaleFor(result.width);
  const kept = figure(result.input, `kept: top ${result.visible_rows} rows`, scale);
  showImages(result.images, result.images.map((_, i) => `completion ${i}, seed ` +
                                              `${result.seed}`), scale, [kept]);
  setStatus(`${model.name}: ${result.images.length} completion(s) of the top ` +
            `${result.visible_rows} rows in ${result.seconds.toFixed(2)} s.`);
}

async function translate() {
  const model = state.model;
  const request = {model: model.name, image: sketch.dataURL(), direction: $("direction").value};
  if (model.translation.multimodal) {
    request.n = intValue("translate-n");
    request.seed = intValue("seed");
  }
  const result = await api("/api/translate", request);
  const scale = scaleFor(result.width);
  const source = figure(result.input, `${result.from} (input)`, scale);
  showImages(result.images, result.images.map((_, i) => `${result.to} ${i}`), scale, [source]);
  setStatus(`${model.name}: ${result.from} -> ${result.to} in ${result.seconds.toFixed(2)} s.`);
}

// ------------------------------------------------------------------- sentences

function showSentences(sentences, notes = []) {
  const list = document.createElement("ol");
  list.className = "sentences";
  list.replaceChildren(...sentences.map((text, i) => {
    const item = document.createElement("li");
    if (notes[i]) {
      const note = document.createElement("span");
      note.className = "note";
      note.textContent = notes[i];
      item.append(note);
    }
    item.append(text);
    return item;
  }));
  $("images").replaceChildren(list);
}

async function sampleSentences() {
  const model = state.model;
  const result = await api("/api/sentences", {
    model: model.name, seed: intValue("sentence-seed"), n: intValue("sentence-n"),
    temperature: Number($("temperature").value), greedy: $("greedy").checked,
  });
  showSentences(result.sentences);
  const how = result.greedy ? "greedy" : `temperature ${result.temperature.toFixed(2)}`;
  setStatus(`${model.name}: ${result.sentences.length} sentence(s) of seed ${result.seed}, ` +
            `${how}, in ${result.seconds.toFixed(2)} s.`);
}

async function interpolateSentences() {
  const model = state.model;
  const result = await api("/api/sentences", {
    model: model.name, between: [$("between-first").value, $("between-second").value],
    steps: intValue("between-steps"),
  });
  const last = result.steps - 1;
  showSentences(result.sentences, result.sentences.map((_, i) => `t = ${(i / last).toFixed(2)}`));
  setStatus(`${model.name}: ${result.steps} points from "${result.between[0]}" to ` +
            `"${result.between[1]}", each decoded greedily (${result.seconds.toFixed(2)} s).`);
}

function setUpSentences(model) {
  const info = model.sentences;
  $("sentence-n").max = model.max_n;
  $("sentence-n").value = Math.min(Number($("sentence-n").value) || 1, model.max_n);
  $("sentence-n-cap").textContent = `at most ${model.max_n}`;
  $("between-panel").hidden = !info.interpolate;
  $("between-steps").max = model.max_n;
  $("sentence-examples").replaceChildren(...info.examples.map((text) => option(text, text)));
  $("between-first").value = info.examples[0] || "";
  $("between-second").value = info.examples[1] || info.examples[0] || "";
  $("sentence-words-title").textContent = `Words it knows (${info.vocabulary.length})`;
  $("sentence-words").textContent = info.vocabulary.join(" ");
}

// ----------------------------------------------------------------------- video

// One labelled row of frames: its title in the first column of the #images grid.
function frameRow(title, sources, captions, scale) {
  const heading = document.createElement("div");
  heading.className = "frame-title";
  heading.textContent = title;
  return [heading, ...sources.map((src, i) => figure(src, captions[i], scale))];
}

async function predict() {
  const model = state.model;
  const result = await api("/api/predict", {
    model: model.name, video: intValue("video-index"), future: intValue("future"),
  });
  const k = result.context.length;
  // As large as the results area allows for the longest row, at most scaleFor's size.
  const column = ($("images").clientWidth - 100) / Math.max(k, result.future) - 8;
  const room = Math.floor(column / result.width);
  const scale = Math.max(1, Math.min(scaleFor(result.width), room));
  const past = result.context.map((_, i) => (i === k - 1 ? "t" : `t-${k - 1 - i}`));
  const next = result.predicted.map((_, i) => `t+${i + 1}`);
  const psnr = result.psnr.map((value, i) =>
    `${next[i]}\n${value === null ? "exact" : `${value.toFixed(1)} dB`}`);
  const grid = document.createElement("div");
  grid.className = "frames";
  grid.style.gridTemplateColumns = `max-content repeat(${Math.max(k, result.future)}, ` +
    "max-content)";
  grid.append(...frameRow("context", result.context, past, scale),
              ...frameRow("predicted", result.predicted, psnr, scale),
              ...frameRow("truth", result.truth, next, scale));
  $("images").replaceChildren(grid);
  const scores = result.psnr.filter((value) => value !== null);
  const mean = scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : Infinity;
  setStatus(`${model.name}: test video ${result.video}, ${result.future} frame(s) predicted ` +
            `from ${k}; PSNR per predicted frame against the truth: mean ` +
            `${mean.toFixed(1)} dB (${result.seconds.toFixed(2)} s).`);
}

function setUpVideo(model) {
  const info = model.video;
  const [height, width] = info.frame_shape;
  $("video-info").textContent = `The model sees ${info.context_frames} frames ` +
    `(${width}x${height}) of a test video of ${info.dataset} and predicts the next ones, ` +
    `each prediction fed back as its last context frame. Test videos 0 .. ${info.max_video}.`;
  $("video-index").max = info.max_video;
  $("video-index").value = Math.min(Number($("video-index").value) || 0, info.max_video);
  $("future").max = info.max_future;
  $("future").value = Math.min(Number($("future").value) || 1, info.max_future);
  $("future-cap").textContent = `at most ${info.max_future}`;
}

function setSketchTool(erasing) {
  sketch.erasing = erasing;
  $("sketch-pen").setAttribute("aria-pressed", String(!erasing));
  $("sketch-eraser").setAttribute("aria-pressed", String(erasing));
}

// --------------------------------------------------------------- choosing a model

const KIND_GROUPS = {generator: "Generators", autoregressive: "PixelCNNs",
                     translator: "Translators", text: "Sentences", video: "Videos"};

function fillModels(models) {
  const select = $("model");
  select.replaceChildren();
  for (const [kind, title] of Object.entries(KIND_GROUPS)) {
    const group = document.createElement("optgroup");
    group.label = title;
    for (const model of models.filter((m) => m.kind === kind && m.available)) {
      group.appendChild(new Option(`${model.name}`, model.name));
    }
    if (group.children.length) select.appendChild(group);
  }
  const unavailable = models.filter((m) => !m.available);
  $("unavailable").hidden = unavailable.length === 0;
  $("unavailable-list").replaceChildren(...unavailable.map((model) => {
    const item = document.createElement("li");
    item.textContent = `${model.name}: ${model.reason}`;
    return item;
  }));
  const wanted = new URLSearchParams(location.search).get("model");
  const first = models.find((m) => m.available && m.name === wanted) ||
                models.find((m) => m.available);
  select.disabled = !first;
  if (first) select.value = first.name;
}

function option(value, text) {
  return new Option(text, value);
}

function chooseModel(name) {
  const model = state.models.find((m) => m.name === name);
  state.model = model;
  showError("");
  const [height, width] = model.image_shape || [];
  const shape = model.sentences ? `${model.sentences.vocabulary_size} tokens, up to ` +
    `${model.sentences.max_length} words` : `${width}x${height}`;
  $("model-info").textContent = `${model.kind}, ${shape}, trained on ` +
    `${model.dataset}. ${model.description}`;
  const generates = model.endpoints.includes("generate");
  $("sample-panel").hidden = !generates;
  $("generate").disabled = !generates;
  $("n").max = model.max_n;
  $("n").value = Math.min(Number($("n").value) || 1, model.max_n);
  $("n-cap").textContent = `at most ${model.max_n}`;

  $("class-row").hidden = !model.classes;
  if (model.classes) {
    $("label").replaceChildren(option("", "all (cycling)"),
                               ...model.classes.map((name, i) => option(String(i), name)));
  }
  $("caption-row").hidden = !model.captions;
  $("caption-words").hidden = !model.captions;
  if (model.captions) {
    $("caption-examples").replaceChildren(...model.captions.examples.map(
      (text) => option(text, text)));
    $("caption").value = model.captions.examples[0] || "";
    $("caption-words").textContent = `Words it knows: ${model.captions.vocabulary.join(", ")}.`;
  }
  $("codes-row").hidden = !model.codes;
  if (model.codes) buildCodeControls(model.codes);
  $("psi-row").hidden = !model.truncation;

  $("walk-panel").hidden = !model.walk;
  $("walk-steps").max = model.max_n;

  const completes = model.endpoints.includes("complete");
  $("complete-panel").hidden = !completes;
  if (completes) {
    completion.resize(width, height);
    $("visible-rows").max = height - 1;
    $("visible-rows").value = model.completion.visible_rows;
    $("complete-n").max = model.max_n;
    $("complete-n").value = Math.min(Number($("complete-n").value) || 1, model.max_n);
    showVisibleLine();
  }

  const translates = model.endpoints.includes("translate");
  $("translate-panel").hidden = !translates;
  if (translates) setUpTranslation(model);

  const writes = model.endpoints.includes("sentences");
  $("sentences-panel").hidden = !writes;
  $("between-panel").hidden = true;
  if (writes) setUpSentences(model);

  const predicts = model.endpoints.includes("predict");
  $("video-panel").hidden = !predicts;
  if (predicts) setUpVideo(model);

  setStatus(generates ? "Press Generate." : translates ?
    "Draw or upload an image, then press Translate." : writes ?
      "Press Sample, or Interpolate between two sentences." :
      "Choose a test video and press Predict.");
  $("images").replaceChildren();
}

// One row of a label and the controls it names (the first control gets the id).
function labelledRow(text, id, ...controls) {
  const row = document.createElement("div");
  row.className = "row";
  const label = document.createElement("label");
  label.textContent = text;
  label.htmlFor = id;
  controls[0].id = id;
  row.append(label, ...controls);
  return row;
}

function buildCodeControls(codes) {
  $("categorical-codes").replaceChildren(...codes.categorical.map((count, j) => {
    const select = document.createElement("select");
    select.append(option("", "from seed"),
                  ...Array.from({length: count}, (_, k) => option(String(k), String(k))));
    return labelledRow(`Category ${j}`, `code-categorical-${j}`, select);
  }));
  $("continuous-codes").replaceChildren(...Array.from({length: codes.continuous}, (_, j) => {
    const slider = document.createElement("input");
    Object.assign(slider, {type: "range", min: -2, max: 2, step: 0.1, value: 0});
    const shown = document.createElement("output");
    shown.textContent = "0.0";
    slider.addEventListener("input", () => {
      shown.textContent = Number(slider.value).toFixed(1);
    });
    return labelledRow(`Continuous ${j}`, `code-continuous-${j}`, slider, shown);
  }));
}

function setUpTranslation(model) {
  const directions = model.translation.directions;
  $("direction").replaceChildren(...Object.entries(directions).map(
    ([key, route]) => option(key, `${route.from} -> ${route.to}`)));
  $("direction-row").hidden = Object.keys(directions).length < 2;
  $("variations-row").hidden = !model.translation.multimodal;
  $("translate-n").max = model.max_n;
  setDirection();
}

function setDirection() {
  const route = state.model.translation.directions[$("direction").value];
  const [height, width] = route.input_shape;
  // Edge maps are dark lines (two pixels wide) on white; the other domains are light
  // articles on black.
  const edges = route.from === "edges";
  sketch.background = edges ? "#fff" : "#000";
  sketch.ink = edges ? "#000" : "#fff";
  sketch.resize(width, height);
  setSketchTool(false);
  $("translate-info").textContent = `Draw ${route.from.replace("_", " ")} ` +
    `(${width}x${height} pixels) or upload an image; the model returns ` +
    `${route.to.replace("_", " ")}.`;
}

// ------------------------------------------------------------------------ wiring

function wire() {
  $("model").addEventListener("change", (event) => chooseModel(event.target.value));
  $("random-seed").addEventListener("click", () => {
    $("seed").value = Math.floor(Math.random() * MAX_SEED);
    run(generate, $("generate"));
  });
  $("generate").addEventListener("click", () => run(generate, $("generate")));
  $("psi").addEventListener("input", () => {
    $("psi-value").textContent = Number($("psi").value).toFixed(2);
  });
  $("walk-t").addEventListener("input", walkSoon);
  for (const id of ["walk-from", "walk-to", "walk-method"]) {
    $(id).addEventListener("change", walkSoon);
  }
  $("walk-strip").addEventListener(
    "click", () => run(() => walk({steps: intValue("walk-steps")}), $("walk-strip")));
  $("visible-rows").addEventListener("input", showVisibleLine);
  $("complete-clear").addEventListener("click", () => completion.clear());
  $("complete-upload").addEventListener("change", (event) => {
    if (event.target.files[0]) completion.load(event.target.files[0]);
  });
  $("complete").addEventListener("click", () => run(complete, $("complete")));
  $("direction").addEventListener("change", setDirection);
  $("sketch-pen").addEventListener("click", () => setSketchTool(false));
  $("sketch-eraser").addEventListener("click", () => setSketchTool(true));
  $("sketch-clear").addEventListener("click", () => sketch.clear());
  $("sketch-upload").addEventListener("change", (event) => {
    if (event.target.files[0]) sketch.load(event.target.files[0]);
  });
  $("translate").addEventListener("click", () => run(translate, $("translate")));
  $("temperature").addEventListener("input", () => {
    $("temperature-value").textContent = Number($("temperature").value).toFixed(2);
  });
  $("sentence-random").addEventListener("click", () => {
    $("sentence-seed").value = Math.floor(Math.random() * MAX_SEED);
    run(sampleSentences, $("sample-sentences"));
  });
  $("sample-sentences").addEventListener(
    "click", () => run(sampleSentences, $("sample-sentences")));
  $("interpolate").addEventListener("click", () => run(interpolateSentences, $("interpolate")));
  $("video-random").addEventListener("click", () => {
    $("video-index").value = Math.floor(Math.random() * (state.model.video.max_video + 1));
    run(predict, $("predict"));
  });
  $("predict").addEventListener("click", () => run(predict, $("predict")));
}

async function start() {
  wire();
  try {
    const {models} = await api("/api/models");
    state.models = models;
    fillModels(models);
    if (!$("model").disabled) chooseModel($("model").value);
    else setStatus("No model is available on this server.");
  } catch (error) {
    showError(`Could not list the models: ${error.message}`);
  }
}

start();
