// gym-agents viewer: runs, episodes turn by turn, comparisons and training plots.
// Plain JS, no dependencies. Data comes from the local server's /api, or, in a
// report written by `gym-agents report`, from window.GA_DATA embedded in the page.
"use strict";

const STATIC = window.GA_DATA || null;
const PAGE = 50;
const GROUP_ORDER = ["reward", "success", "eval", "policy", "response", "episode", "pivot",
                     "supo", "perf", "time"];

// ---------- DOM helpers (text goes in as text: trajectories hold arbitrary HTML) ----------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : String(c));
  return node;
}

function fmt(v, digits = 3) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return v.toLocaleString("en");
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}

// Min and max without spreading: a long run has more points than a call takes arguments.
const extent = (values) => values.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
const pct = (v) => (v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%");
const badge = (text, cls) => el("span", { class: "badge " + (cls || "") }, text);
const mark = (ok) => (ok ? badge("✓ success", "good") : badge("✗ failure", "bad"));
const statusBadge = (s) => badge(s, s === "ok" ? "neutral" : "warn");
const json = (v) => el("pre", { class: "json" }, JSON.stringify(v, null, 2));

function details(summary, body, open) {
  return el("details", { open: !!open }, el("summary", {}, summary), body);
}

// ---------- data ----------

async function api(path, params) {
  if (STATIC) return staticApi(path, params || {});
  const query = new URLSearchParams(
    Object.entries(params || {}).filter(([, v]) => v !== "" && v !== undefined)).toString();
  const res = await fetch(path + (query ? "?" + query : ""));
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

// The report's stand-in for the server: the same answers, from the embedded data.
function staticApi(path, params) {
  let m;
  if (path === "/api/runs") return { runs: STATIC.runs };
  if ((m = path.match(/^\/api\/runs\/(\d+)\/metrics$/))) return { rows: STATIC.metrics[m[1]] || [] };
  if ((m = path.match(/^\/api\/runs\/(\d+)\/episodes\/(\d+)$/))) {
    const ep = (STATIC.episodes[m[1]] || {})[m[2]];
    if (!ep) throw new Error("episode " + m[2] + " is not in this report (see --episodes)");
    return ep;
  }
  if ((m = path.match(/^\/api\/runs\/(\d+)\/episodes$/))) {
    const all = STATIC.rows[m[1]] || [];
    const task = (params.task || "").toLowerCase();
    const rows = all.filter((r) =>
      (!params.env || r.env_id === params.env) && (!params.status || r.status === params.status) &&
      (!params.outcome || r.success === (params.outcome === "success")) &&
      (params.min_reward === undefined || params.min_reward === "" || r.total_reward >= +params.min_reward) &&
      (params.max_reward === undefined || params.max_reward === "" || r.total_reward <= +params.max_reward) &&
      (params.step === undefined || params.step === "" || r.step === +params.step) &&
      (!task || (String(r.task_id) + " seed=" + r.seed).toLowerCase().includes(task)));
    const count = (key) => all.reduce((acc, r) => ((acc[r[key]] = (acc[r[key]] || 0) + 1), acc), {});
    const offset = +(params.offset || 0);
    return { total: rows.length, offset, limit: PAGE, rows: rows.slice(offset, offset + PAGE),
             facets: { env_id: count("env_id"), status: count("status") } };
  }
  throw new Error("not in this report: " + path);
}

let RUNS = null;
async function runs() {
  if (!RUNS) RUNS = (await api("/api/runs")).runs;
  return RUNS;
}

// ---------- routing: #/ runs, #run/ID, #ep/ID/N, #compare/A/B, #pair/A/NA/B/NB ----------

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  return { parts: path.split("/").filter(Boolean),
           params: Object.fromEntries(new URLSearchParams(query || "")) };
}

function setCrumbs(...items) {
  document.getElementById("crumbs").replaceChildren(
    ...items.flatMap((item) => [" / ", item]));
}

async function route() {
  document.body.dataset.state = "loading";
  const app = document.getElementById("app");
  const { parts, params } = parseHash();
  const view = el("div", {});
  try {
    if (!parts.length) await viewRuns(view);
    else if (parts[0] === "run") await viewRun(view, +parts[1], params);
    else if (parts[0] === "ep") await viewEpisode(view, +parts[1], +parts[2]);
    else if (parts[0] === "compare") await viewCompare(view, +parts[1], +parts[2], params);
    else if (parts[0] === "pair") await viewPair(view, +parts[1], +parts[2], +parts[3], +parts[4]);
    else view.append(el("p", { class: "error" }, "unknown page: " + location.hash));
  } catch (err) {
    view.append(el("p", { class: "error" }, String(err.message || err)));
  }
  app.replaceChildren(view);
  document.body.dataset.view = parts[0] || "runs";
  document.body.dataset.shown = location.hash;  // browser tests wait for these two
  document.body.dataset.state = "ready";
}

// ---------- runs ----------

function runTotals(run) {
  const last = run.last_metrics;
  if (last) return { rate: last["success/mean"] ?? null, reward: last["reward/mean"] ?? null, step: last.step };
  const envs = Object.values((run.summary && run.summary.envs) || {});
  const n = envs.reduce((a, s) => a + (s.episodes || 0), 0);
  if (!n) return { rate: null, reward: null };
  return { rate: envs.reduce((a, s) => a + (s.successes || 0), 0) / n,
           reward: envs.reduce((a, s) => a + (s.mean_reward || 0) * (s.episodes || 0), 0) / n };
}

async function viewRuns(view) {
  setCrumbs();
  const list = await runs();
  const picked = new Set();
  const compare = el("button", { disabled: true, id: "compare-btn", onclick: () => {
    const [a, b] = [...picked];
    location.hash = `#compare/${a}/${b}`;
  } }, "Compare the two selected runs");
  const table = el("table", { class: "grid", id: "runs" },
    el("tr", {}, ["", "run", "kind", "episodes", "success", "mean reward", "step", "folder"]
      .map((h) => el("th", {}, h))),
    list.map((run) => {
      const t = runTotals(run);
      const box = el("input", { type: "checkbox", onchange: (e) => {
        if (e.target.checked) picked.add(run.id); else picked.delete(run.id);
        compare.disabled = picked.size !== 2;
      } });
      return el("tr", {}, el("td", {}, STATIC ? "" : box),
        el("td", {}, el("a", { href: `#run/${run.id}` }, run.name)),
        el("td", {}, badge(run.kind, "neutral")), el("td", { class: "num" }, fmt(run.episodes)),
        el("td", { class: "num" }, pct(t.rate)), el("td", { class: "num" }, fmt(t.reward)),
        el("td", { class: "num", title: "training runs: the last logged step" }, fmt(t.step)),
        el("td", { class: "muted" }, run.path));
    }));
  view.append(el("h1", {}, STATIC ? "gym-agents report" : "Runs"), table);
  if (!STATIC) view.append(el("p", {}, compare, " ",
    el("span", { class: "muted" }, "pairs their episodes by env, task and sample")));
  if (STATIC) {  // a report shows every run's tables and plots on its first page
    for (const run of list) {
      const section = el("section", { class: "run" }, el("h2", {}, run.name));
      view.append(section);
      await runBody(section, run, {});
    }
  }
}

async function viewRun(view, id, params) {
  const run = (await runs())[id];
  if (!run) throw new Error("no run " + id);
  setCrumbs(el("a", { href: `#run/${id}` }, run.name));
  view.append(el("h1", {}, run.name, " ", badge(run.kind, "neutral")),
              el("p", { class: "muted" }, run.path));
  await runBody(view, run, params);
}

async function runBody(view, run, params) {
  if (run.summary && run.summary.envs) view.append(summaryTable(run.summary));
  if (run.config !== null && run.config !== undefined) {
    view.append(details(`config (${run.config_file})`,
      typeof run.config === "string" ? el("pre", {}, run.config) : json(run.config)));
  }
  if (run.has_metrics) {
    const section = el("section", { class: "training" }, el("h2", {}, "Training"));
    view.append(section);
    trainingPlots(section, (await api(`/api/runs/${run.id}/metrics`)).rows);
  }
  if (run.episodes) {
    const section = el("section", { class: "episodes" },
      el("h2", {}, `Episodes (${run.episodes_file})`));
    view.append(section);
    await episodeList(section, run, params);
  }
  if (run.skipped_lines) {
    view.append(el("p", { class: "warn" }, `${run.skipped_lines} unreadable lines skipped`));
  }
}

function summaryTable(summary) {
  const head = ["env", "success", "95% CI", "mean reward", "mean turns", "episodes",
                "truncated", "infra errors", "tokens/ep"];
  return el("table", { class: "grid summary" }, el("tr", {}, head.map((h) => el("th", {}, h))),
    Object.entries(summary.envs).map(([env, s]) => el("tr", {}, el("td", {}, env),
      el("td", { class: "num" }, pct(s.success_rate)),
      el("td", { class: "num" }, s.success_ci95 ? s.success_ci95.map((v) => v.toFixed(2)).join(" – ") : "–"),
      el("td", { class: "num" }, fmt(s.mean_reward)), el("td", { class: "num" }, fmt(s.mean_turns)),
      el("td", { class: "num" }, fmt(s.episodes)), el("td", { class: "num" }, fmt(s.truncated)),
      el("td", { class: "num" }, fmt(s.infra_errors)),
      el("td", { class: "num" }, fmt(s.mean_tokens_per_episode)))));
}

// ---------- episode list ----------

async function episodeList(section, run, params) {
  const page = await api(`/api/runs/${run.id}/episodes`, { ...params, limit: PAGE });
  const go = (changes) => {
    const next = { ...params, ...changes };
    if (!("offset" in changes)) delete next.offset;
    const query = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== "")).toString();
    location.hash = `#run/${run.id}` + (query ? "?" + query : "");
  };
  const select = (name, label, options) => el("label", {}, label + " ",
    el("select", { name, onchange: (e) => go({ [name]: e.target.value }) },
      el("option", { value: "" }, "any"),
      options.map(([value, text]) => el("option", { value, selected: params[name] === value }, text))));
  const input = (name, label, attrs) => el("label", {}, label + " ", el("input", {
    name, value: params[name] || "", ...attrs, onchange: (e) => go({ [name]: e.target.value }) }));
  const facet = (key) => Object.entries(page.facets[key]).map(([v, n]) => [v, `${v} (${n})`]);
  section.append(el("form", { class: "filters", onsubmit: (e) => e.preventDefault() },
    select("env", "env", facet("env_id")), input("task", "task", { placeholder: "contains…", size: 12 }),
    select("outcome", "outcome", [["success", "success"], ["failure", "failure"]]),
    select("status", "status", facet("status")),
    run.kind === "training" ? input("step", "step", { type: "number", step: 1 }) : null,
    input("min_reward", "reward ≥", { type: "number", step: "any", size: 5 }),
    input("max_reward", "≤", { type: "number", step: "any", size: 5 }),
    STATIC ? null : select("sort", "sort", [["-reward", "reward ↓"], ["reward", "reward ↑"],
                                            ["-turns", "turns ↓"], ["turns", "turns ↑"]])));
  const stored = STATIC ? (STATIC.rows[run.id] || []).length : run.episodes;
  if (stored < run.episodes) {
    section.append(el("p", { class: "muted" }, `This report holds the first ${stored} of ` +
      `${fmt(run.episodes)} episodes (gym-agents report --episodes N).`));
  }
  const hasStep = page.rows.some((r) => r.step !== null && r.step !== undefined);
  const head = ["#", "env", "task", "seed", "sample", ...(hasStep ? ["step"] : []),
                "status", "outcome", "reward", "turns"];
  section.append(el("table", { class: "grid episodes", id: "episode-table" },
    el("tr", {}, head.map((h) => el("th", {}, h))),
    page.rows.map((r) => el("tr", { class: "link", onclick: () => (location.hash = `#ep/${run.id}/${r.n}`) },
      el("td", {}, el("a", { href: `#ep/${run.id}/${r.n}` }, r.n)), el("td", {}, r.env_id),
      el("td", {}, r.task_id ?? "–"), el("td", { class: "num" }, fmt(r.seed)),
      el("td", { class: "num" }, r.sample_index), hasStep ? el("td", { class: "num" }, fmt(r.step)) : null,
      el("td", {}, statusBadge(r.status)), el("td", {}, mark(r.success)),
      el("td", { class: "num" }, fmt(r.total_reward)), el("td", { class: "num" }, r.num_turns)))));
  const last = Math.min(page.offset + page.rows.length, page.total);
  section.append(el("p", { class: "pager" },
    el("button", { disabled: page.offset === 0, onclick: () => go({ offset: Math.max(0, page.offset - PAGE) }) }, "‹ prev"),
    ` ${page.total ? page.offset + 1 : 0}–${last} of ${fmt(page.total)} `,
    el("button", { disabled: last >= page.total, onclick: () => go({ offset: page.offset + PAGE }) }, "next ›")));
}

// ---------- one episode ----------

async function viewEpisode(view, runId, n) {
  const run = (await runs())[runId];
  const ep = await api(`/api/runs/${runId}/episodes/${n}`);
  setCrumbs(el("a", { href: `#run/${runId}` }, run ? run.name : runId), `episode ${n}`);
  view.append(el("p", { class: "nav" },
    n > 0 ? el("a", { href: `#ep/${runId}/${n - 1}` }, "‹ previous") : null, " ",
    run && n + 1 < run.episodes ? el("a", { href: `#ep/${runId}/${n + 1}` }, "next ›") : null));
  view.append(renderEpisode(ep));
}

// j / k: next / previous episode of the run, from an episode page.
document.addEventListener("keydown", (e) => {
  const { parts } = parseHash();
  if (parts[0] !== "ep" || e.target.closest("input, select, textarea")) return;
  const n = +parts[2] + (e.key === "j" ? 1 : e.key === "k" ? -1 : 0);
  const run = RUNS && RUNS[+parts[1]];
  if (n !== +parts[2] && n >= 0 && (!run || n < run.episodes)) location.hash = `#ep/${parts[1]}/${n}`;
});

function renderEpisode(ep) {
  const box = el("div", { class: "episode" });
  box.append(el("h2", {}, ep.env_id, " · ", ep.task_id ?? `seed ${ep.seed}`, " ", mark(ep.success),
                " ", statusBadge(ep.status)));
  const facts = [["total reward", fmt(ep.total_reward)], ["turns", ep.num_turns ?? ep.turns.length],
    ["seed", ep.seed], ["sample", ep.sample_index], ["agent", ep.agent], ["model", ep.model],
    ["duration", ep.duration ? fmt(ep.duration) + " s" : null], ["retries", ep.retries || null],
    ["started", ep.started_at ? new Date(ep.started_at * 1000).toISOString().replace("T", " ").slice(0, 19) : null],
    ["version", ep.package_version], ["training step", ep.step ?? (ep.config || {}).train_step], ["episode id", ep.episode_id]];
  box.append(el("dl", { class: "facts" }, facts.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])));
  if (ep.error) box.append(el("pre", { class: "error" }, ep.error));
  if (ep.config && Object.keys(ep.config).length) box.append(details("episode config", json(ep.config)));
  if (ep.initial_observation) {
    box.append(el("div", { class: "turn initial" }, el("div", { class: "turn-head" }, "Initial observation"),
                  renderObservation(ep.initial_observation)));
  }
  let segment = null;
  for (const turn of ep.turns || []) {
    if (turn.segment !== null && turn.segment !== undefined && turn.segment !== segment) {
      segment = turn.segment;
      box.append(el("div", { class: "segment" }, `segment ${segment}`));
    }
    box.append(renderTurn(turn));
  }
  return box;
}

function renderTurn(turn) {
  const info = turn.info || {};
  const promptTokens = turn.prompt_token_ids ? turn.prompt_token_ids.length : null;
  const completionTokens = turn.token_ids ? turn.token_ids.length : null;
  const head = el("div", { class: "turn-head" }, el("b", {}, `Turn ${turn.index}`),
    badge("reward " + fmt(turn.reward), turn.reward > 0 ? "good" : turn.reward < 0 ? "bad" : "neutral"),
    turn.terminated ? badge("terminated", "neutral") : null,
    turn.truncated ? badge("truncated", "warn") : null,
    info.invalid_action ? badge("invalid action", "bad") : null,
    turn.segment !== null && turn.segment !== undefined ? badge("segment " + turn.segment, "neutral") : null,
    promptTokens !== null ? el("span", { class: "muted" }, `prompt ${fmt(promptTokens)} tok`) : null,
    completionTokens !== null ? el("span", { class: "muted" }, `completion ${fmt(completionTokens)} tok`) : null,
    el("span", { class: "muted" }, `agent ${fmt(turn.agent_seconds)} s · env ${fmt(turn.env_seconds)} s`));
  const body = el("div", { class: "turn", id: `turn-${turn.index}` }, head);
  if (turn.messages && turn.messages.length) {
    body.append(details(`messages the model saw (${turn.messages.length})`, renderMessages(turn.messages)));
  }
  if (turn.completion !== null && turn.completion !== undefined) {
    body.append(el("div", { class: "label" }, "completion"), el("pre", { class: "completion" }, turn.completion));
  }
  if (turn.logprobs && turn.logprobs.length) body.append(heatStrip(turn.token_ids || [], turn.logprobs));
  body.append(el("div", { class: "label" }, "action"), renderAction(turn.action));
  body.append(el("div", { class: "label" }, "observation"), renderObservation(turn.observation));
  if (Object.keys(info).length) body.append(el("div", { class: "label" }, "info"), renderInfo(info));
  return body;
}

// A tool call on one line, except arguments holding code or text (a bash script, a file's
// new content, a patch): those get a block each, coloured as a diff when they hold one.
function renderAction(action) {
  if (!(action && typeof action === "object" && action.tool_call)) {
    return el("pre", { class: "action" }, typeof action === "string" ? action : JSON.stringify(action));
  }
  const call = action.tool_call;
  const isLong = (v) => typeof v === "string" && (v.includes("\n") || v.length > 100);
  const entries = Object.entries(call.arguments || {});
  const inline = Object.fromEntries(entries.filter(([, v]) => !isLong(v)));
  const long = entries.filter(([, v]) => isLong(v));
  if (!long.length) return el("pre", { class: "action" }, `${call.name}(${JSON.stringify(inline)})`);
  const shown = Object.entries(inline).map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .concat(long.map(([k]) => `${k}=↓`));
  const head = el("pre", { class: "action" }, `${call.name}(${shown.join(", ")})`);
  const looksLikeDiff = (text) => /^(diff --git|--- )/.test(text) || /\n@@ .* @@/.test(text);
  return el("div", { class: "tool-call" }, head, long.map(([k, v]) => el("div", {},
    el("div", { class: "label" }, `${call.name} · ${k}`),
    looksLikeDiff(v) ? diffBlock(v) : el("pre", { class: "action" }, v))));
}

function renderImage(image) {
  return el("img", { class: "shot", src: "data:image/png;base64," + image.png_base64,
                     width: image.width, alt: `screenshot ${image.width}×${image.height}` });
}

function renderObservation(obs) {
  const box = el("div", { class: "observation" }, el("pre", {}, obs.text));
  if (obs.images && obs.images.length) box.append(el("div", { class: "images" }, obs.images.map(renderImage)));
  if (obs.tools && obs.tools.length) {
    box.append(details(`tools (${obs.tools.length}): ` + obs.tools.map((t) => t.name).join(", "), json(obs.tools)));
  }
  if (obs.metadata && Object.keys(obs.metadata).length) box.append(details("metadata", json(obs.metadata)));
  return box;
}

function renderMessages(messages) {
  return el("div", { class: "messages" }, messages.map((m) => {
    const parts = Array.isArray(m.content) ? m.content : [{ type: "text", text: m.content ?? "" }];
    return el("div", { class: "message " + m.role }, el("div", { class: "role" }, m.role),
      parts.map((p) => p.type === "image_url"
        ? el("img", { class: "shot", src: p.image_url.url, alt: "image" })
        : el("pre", {}, p.text ?? JSON.stringify(p))),
      m.tool_calls ? json(m.tool_calls) : null);
  }));
}

// Token logprobs as coloured cells: green when the sampled token was likely, red when not.
function heatStrip(ids, logprobs) {
  const mean = logprobs.reduce((a, b) => a + b, 0) / logprobs.length;
  const strip = el("div", { class: "heat" }, logprobs.map((lp, i) => {
    const p = Math.exp(lp);
    return el("span", { style: `background:hsl(${Math.round(120 * p)},70%,45%)`,
                        title: `#${i} token ${ids[i] ?? "?"} · logprob ${lp.toFixed(3)} · p ${p.toFixed(3)}` });
  }));
  return el("div", { class: "heat-wrap" },
    el("div", { class: "label" }, `logprobs (${logprobs.length} tokens, mean ${fmt(mean)}, min ${fmt(extent(logprobs)[0])})`),
    strip);
}

// ---------- info: generic, with nicer rendering for keys families are known to use ----------

const isImage = (v) => v && typeof v === "object" && typeof v.png_base64 === "string";

function renderInfo(info) {
  const chips = el("div", { class: "chips" });
  const blocks = el("div", {});
  for (const [key, value] of Object.entries(info)) {
    if (value === null || ["number", "boolean"].includes(typeof value) ||
        (typeof value === "string" && value.length < 80 && !value.includes("\n") &&
         !/summary|diff|patch/i.test(key))) {
      const cls = /score|success|reward/.test(key) ? "key-value strong" : "key-value";
      chips.append(el("span", { class: cls }, el("b", {}, key), " ", fmt(value)));
    } else {
      blocks.append(renderInfoBlock(key, value));
    }
  }
  return el("div", { class: "info" }, chips, blocks);
}

function renderInfoBlock(key, value) {
  const label = el("div", { class: "label" }, key);
  if (typeof value === "string" && (/diff|patch/i.test(key) || value.startsWith("diff --git"))) {
    return el("div", {}, label, diffBlock(value));
  }
  if (isImage(value)) return el("div", {}, label, renderImage(value));
  if (Array.isArray(value) && value.length && value.every(isImage)) {
    return el("div", {}, label, el("div", { class: "images" }, value.map(renderImage)));
  }
  if (/test/i.test(key) && value && typeof value === "object") return el("div", {}, label, testResults(value));
  if (typeof value === "string") return el("div", { class: /summary/i.test(key) ? "summary-text" : "" }, label, el("pre", {}, value));
  if (value && typeof value === "object" && !Array.isArray(value)) {  // e.g. a grade: its parts
    const inner = renderInfo(value);
    return JSON.stringify(value).length < 1500 ? el("div", { class: "nested" }, label, inner) : details(key, inner);
  }
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return el("div", {}, label, value.length
      ? el("ul", { class: "plain" }, value.map((v) => el("li", {}, v))) : el("span", { class: "muted" }, "none"));
  }
  return details(key, json(value));
}

function diffBlock(text) {
  return el("pre", { class: "diff" }, text.split("\n").map((line) => {
    const cls = line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") ? "file"
      : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "";
    return el("span", { class: cls }, line + "\n");
  }));
}

// Test results as name -> outcome (a map, or a list of {name, status|passed|outcome}).
function testResults(value) {
  const entries = Array.isArray(value)
    ? value.map((t) => (t && typeof t === "object" ? [t.name ?? t.test ?? "?", t.status ?? t.outcome ?? t.passed] : [String(t), ""]))
    : Object.entries(value);
  const passed = (v) => v === true || /^(pass|passed|ok|success)$/i.test(String(v));
  const failed = (v) => v === false || /^(fail|failed|error|failure)$/i.test(String(v));
  return el("ul", { class: "tests" }, entries.map(([name, v]) => el("li", {},
    badge(typeof v === "boolean" ? (v ? "pass" : "fail") : (typeof v === "object" ? JSON.stringify(v) : String(v)),
          passed(v) ? "good" : failed(v) ? "bad" : "neutral"), " ", name)));
}

// ---------- comparison ----------

async function viewCompare(view, a, b, params) {
  const data = await api("/api/compare", { a, b, only: params.only || "" });
  setCrumbs(`compare ${data.a} ↔ ${data.b}`);
  const c = data.counts;
  view.append(el("h1", {}, "Compare"), el("p", {}, el("b", {}, "A "), data.a, " ↔ ", el("b", {}, "B "), data.b),
    el("p", { class: "chips" }, [["both succeed", c.both], ["neither", c.neither], ["only A succeeds", c.a_wins],
      ["only B succeeds", c.b_wins], ["only in A", c.only_a], ["only in B", c.only_b]]
      .map(([k, v]) => el("span", { class: "key-value" }, el("b", {}, k), " ", v || 0))),
    el("label", {}, el("input", { type: "checkbox", checked: params.only === "diff", id: "only-diff",
      onchange: (e) => (location.hash = `#compare/${a}/${b}` + (e.target.checked ? "?only=diff" : "")) }),
      " only tasks where the runs differ"));
  const cell = (r) => (r ? [mark(r.success), " ", fmt(r.total_reward), el("span", { class: "muted" }, ` ${r.num_turns} turns`)] : "–");
  view.append(el("table", { class: "grid", id: "compare-table" },
    el("tr", {}, ["env", "task", "sample", "A", "B", ""].map((h) => el("th", {}, h))),
    data.pairs.map((p) => el("tr", { class: "verdict-" + p.verdict }, el("td", {}, p.env_id), el("td", {}, p.task),
      el("td", { class: "num" }, p.sample_index), el("td", {}, cell(p.a)), el("td", {}, cell(p.b)),
      el("td", {}, p.a && p.b ? el("a", { href: `#pair/${a}/${p.a.n}/${b}/${p.b.n}` }, "side by side") : "")))));
}

async function viewPair(view, a, na, b, nb) {
  const [epA, epB] = await Promise.all([api(`/api/runs/${a}/episodes/${na}`), api(`/api/runs/${b}/episodes/${nb}`)]);
  const list = await runs();
  setCrumbs(el("a", { href: `#compare/${a}/${b}` }, `compare ${list[a].name} ↔ ${list[b].name}`), "side by side");
  view.append(el("div", { class: "pair" },
    el("div", {}, el("h3", {}, "A: ", list[a].name), renderEpisode(epA)),
    el("div", {}, el("h3", {}, "B: ", list[b].name), renderEpisode(epB))));
}

// ---------- training plots: every numeric metric, grouped by its prefix ----------

function trainingPlots(section, rows) {
  if (!rows.length) { section.append(el("p", { class: "muted" }, "no metrics yet")); return; }
  const keys = new Set();
  for (const r of rows) for (const [k, v] of Object.entries(r)) if (typeof v === "number" && k !== "step" && k !== "time") keys.add(k);
  const groups = {};
  for (const k of [...keys].sort()) (groups[k.includes("/") ? k.split("/")[0] : "other"] ||= []).push(k);
  const rank = (g) => (GROUP_ORDER.includes(g) ? GROUP_ORDER.indexOf(g) : GROUP_ORDER.length);
  const points = (k) => thin(rows.map((r, i) => [r.step ?? i, r[k]]).filter(([, v]) => typeof v === "number"));
  const lastStep = rows[rows.length - 1].step;
  section.append(el("p", { class: "muted" }, `${rows.length} logged steps, last step ${fmt(lastStep)}`));
  // Held-out eval points go on top of the matching training curve too.
  const overlay = { "reward/mean": "eval/reward", "success/mean": "eval/success" };
  // Every chart spans the run's steps, so sparse series (eval) line up with the others.
  const domain = extent(rows.map((r, i) => r.step ?? i));
  const all = el("div", { class: "groups" });
  section.append(all);
  for (const group of Object.keys(groups).sort((x, y) => rank(x) - rank(y) || x.localeCompare(y))) {
    const charts = el("div", { class: "charts" });
    for (const key of groups[group]) {
      if (key.endsWith("/std") && keys.has(key.replace(/std$/, "mean"))) continue;  // drawn as a band
      const pts = points(key);
      const sparse = group === "eval" || pts.length < rows.length / 2;
      const series = [{ name: key, points: pts, dots: sparse }];
      const std = key.endsWith("/mean") ? key.replace(/mean$/, "std") : null;
      if (std && keys.has(std)) {
        const byStep = new Map(points(std));
        series[0].band = pts.map(([x, y]) => [x, y, byStep.get(x)]).filter((p) => p[2] !== undefined);
      }
      if (overlay[key] && keys.has(overlay[key])) series.push({ name: overlay[key], points: points(overlay[key]), dots: true, cls: "eval" });
      charts.append(lineChart(key, series, domain));
    }
    all.append(el("div", { class: "group" }, el("h3", {}, group), charts));
  }
}

// A long run logs more steps than a 340-pixel chart can show: keep every k-th point and the last.
function thin(points, most = 1500) {
  if (points.length <= most) return points;
  const k = Math.ceil(points.length / most);
  return points.filter((_, i) => i % k === 0 || i === points.length - 1);
}

function lineChart(title, series, domain) {
  const W = 340, H = 190, L = 50, R = 12, T = 24, B = 24;
  const xs = [], ys = [];
  for (const s of series) {
    for (const [x, y] of s.points) { xs.push(x); ys.push(y); }
    for (const [, y, sd] of s.band || []) { ys.push(y - sd, y + sd); }
  }
  let [x0, x1] = extent(domain ? xs.concat(domain) : xs);
  let [y0, y1] = extent(ys);
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { const pad = Math.abs(y0) * 0.1 || 1; y0 -= pad; y1 += pad; }
  const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", "data-key": title, role: "img" },
    svg("text", { x: L, y: 15, class: "title" }, title),
    svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }),
    svg("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
  for (const y of [y0, (y0 + y1) / 2, y1]) {
    chart.append(svg("text", { x: L - 4, y: sy(y) + 4, class: "tick", "text-anchor": "end" }, fmt(y)),
                 svg("line", { x1: L, y1: sy(y), x2: W - R, y2: sy(y), class: "gridline" }));
  }
  chart.append(svg("text", { x: L, y: H - 6, class: "tick" }, fmt(x0)),
               svg("text", { x: W - R, y: H - 6, class: "tick", "text-anchor": "end" }, fmt(x1)),
               svg("text", { x: (L + W - R) / 2, y: H - 6, class: "tick", "text-anchor": "middle" }, "step"));
  // Legend for overlaid series (hidden while the hover readout takes its place).
  const legend = svg("text", { x: W - R, y: 15, class: "legend", "text-anchor": "end" },
    series.slice(1).map((s) => "● " + s.name).join("  "));
  chart.append(legend);
  series.forEach((s, i) => {
    const cls = s.cls || "s" + i;
    if (s.band && s.band.length) {
      const upper = s.band.map(([x, y, sd]) => `${sx(x)},${sy(y + sd)}`);
      const lower = s.band.slice().reverse().map(([x, y, sd]) => `${sx(x)},${sy(y - sd)}`);
      chart.append(svg("polygon", { points: upper.concat(lower).join(" "), class: "band " + cls }));
    }
    if (s.dots) {
      for (const [x, y] of s.points) chart.append(svg("circle", { cx: sx(x), cy: sy(y), r: 2.8, class: "dot " + cls },
        svg("title", {}, `${s.name} @ ${fmt(x)}: ${fmt(y)}`)));
    } else {
      chart.append(svg("polyline", { points: s.points.map(([x, y]) => `${sx(x)},${sy(y)}`).join(" "), class: "line " + cls }));
    }
  });
  // Hover: a cursor line and the value of the nearest logged step.
  const cursor = svg("line", { y1: T, y2: H - B, class: "cursor", visibility: "hidden" });
  const readout = svg("text", { x: W - R, y: 15, class: "readout", "text-anchor": "end" });
  chart.append(cursor, readout);
  chart.addEventListener("mousemove", (e) => {
    const box = chart.getBoundingClientRect();
    const x = x0 + (((e.clientX - box.left) * W) / box.width - L) / (W - L - R) * (x1 - x0);
    const pts = series[0].points;
    if (!pts.length) return;
    const near = pts.reduce((best, p) => (Math.abs(p[0] - x) < Math.abs(best[0] - x) ? p : best));
    cursor.setAttribute("x1", sx(near[0])); cursor.setAttribute("x2", sx(near[0]));
    cursor.setAttribute("visibility", "visible");
    readout.textContent = `step ${fmt(near[0])}: ${fmt(near[1], 4)}`;
    legend.setAttribute("visibility", "hidden");
  });
  chart.addEventListener("mouseleave", () => {
    cursor.setAttribute("visibility", "hidden");
    legend.setAttribute("visibility", "visible");
    readout.textContent = "";
  });
  return el("figure", { class: "chart-box" }, chart);
}

window.addEventListener("hashchange", route);
route();
