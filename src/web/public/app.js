// The dashboard's browser code: plain ES module, no build. Each page is filled from the JSON API.

import { deadLetters } from "./dead-letters.js";
import {
  api,
  badge,
  content,
  countsText,
  duration,
  h,
  LEVELS,
  main,
  time,
  toast,
  tookOf,
} from "./lib.js";

function chart(perHour) {
  const max = Math.max(1, ...perHour);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 240 60");
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Events exported per hour today (UTC): ${perHour.join(", ")}`);
  perHour.forEach((count, hour) => {
    const bar = document.createElementNS(ns, "rect");
    const height = Math.max(count > 0 ? 2 : 0, (count / max) * 56);
    bar.setAttribute("x", String(hour * 10 + 1));
    bar.setAttribute("y", String(58 - height));
    bar.setAttribute("width", "8");
    bar.setAttribute("height", String(height));
    const title = document.createElementNS(ns, "title");
    title.textContent = `${String(hour).padStart(2, "0")}:00 UTC: ${count} events`;
    bar.append(title);
    svg.append(bar);
  });
  return svg;
}

async function overview() {
  const s = await api("/api/status");
  const toggle = h(
    "button",
    {
      class: `switch ${s.enabled ? "on" : ""}`,
      role: "switch",
      "data-key": "switch",
      "aria-checked": String(s.enabled),
      "aria-label": "Job enabled",
      onclick: async () => {
        await api("/api/job", { method: "POST", body: JSON.stringify({ enabled: !s.enabled }) });
        toast(s.enabled ? "Job disabled: no executions until enabled" : "Job enabled");
        overview();
      },
    },
    h("span", { class: "knob" }),
  );
  const runNow = h(
    "button",
    {
      class: "primary",
      "data-key": "run-now",
      disabled: Boolean(s.running),
      onclick: async () => {
        try {
          await api("/api/run-now", { method: "POST" });
          toast("Execution started");
        } catch (error) {
          toast(error.message);
        }
        overview();
      },
    },
    "Run now",
  );
  const progress = s.running
    ? h(
        "section",
        { class: "card running", "aria-live": "polite" },
        h("h2", {}, `Running (${s.running.trigger}) since ${time(s.running.startedAt)}`),
        s.running.progress
          ? h(
              "p",
              {},
              `${countsText(s.running.progress)} in ${s.running.progress.batches} batches; ${duration((s.running.progress.lagMs ?? 0) / 1000)} behind`,
            )
          : h("p", {}, "starting…"),
      )
    : null;
  const last = s.lastRun;
  content(
    h(
      "div",
      { class: "grid" },
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Job"),
        h(
          "div",
          { class: "row" },
          toggle,
          h("strong", { "data-state": "" }, s.enabled ? "Enabled" : "Disabled"),
        ),
        h("p", {}, "Schedule ", h("code", {}, s.schedule)),
        h(
          "p",
          { class: "muted" },
          s.enabled ? `Next run ${time(s.nextRunAt)}` : "No executions while disabled",
        ),
        runNow,
      ),
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Last run"),
        last
          ? h(
              "p",
              {},
              badge(last.outcome),
              " ",
              h("a", { href: `/runs/${last.id}` }, `Run ${last.id}`),
              ` · ${last.trigger} · ${time(last.startedAt)}`,
            )
          : h("p", { class: "muted" }, "No runs yet"),
        last ? h("p", {}, `${countsText(last)}, took ${tookOf(last)}`) : null,
        last?.error ? h("p", { class: "error" }, last.error) : null,
      ),
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Sink"),
        h("p", {}, s.sink),
        h(
          "p",
          {},
          s.deadLetters.pending > 0
            ? h(
                "a",
                { href: "/dead-letters", class: "error" },
                `${s.deadLetters.pending} dead letter(s) waiting`,
              )
            : h("span", { class: "muted" }, "No dead letters"),
        ),
      ),
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Checkpoint"),
        h("p", {}, h("code", { class: "id" }, s.checkpoint ?? "none yet")),
        h(
          "p",
          {},
          s.lagSeconds === null ? "—" : `${duration(s.lagSeconds)} behind the tenant`,
          h("span", { class: "muted" }, s.checkpointTime ? ` (${time(s.checkpointTime)})` : ""),
        ),
      ),
      h(
        "section",
        { class: "card wide" },
        h("h2", {}, `Exported today: ${s.today.sent.toLocaleString()} events`),
        chart(s.today.perHour),
        h(
          "p",
          { class: "muted axis" },
          h("span", {}, "00:00"),
          h("span", {}, "12:00"),
          h("span", {}, "23:00 UTC"),
        ),
      ),
    ),
    progress,
  );
}

async function runs() {
  const outcome = new URLSearchParams(location.search).get("outcome") ?? "";
  const list = await api(`/api/runs?limit=200${outcome ? `&outcome=${outcome}` : ""}`);
  const filter = h(
    "select",
    {
      id: "outcome",
      onchange: (event) => {
        const value = event.target.value;
        history.replaceState(null, "", value ? `?outcome=${value}` : "/runs");
        runs();
      },
    },
    ...["", "success", "failed", "aborted", "skipped", "running"].map((value) =>
      h("option", { value, selected: value === outcome }, value || "all outcomes"),
    ),
  );
  const rows = list.map((run) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: `/runs/${run.id}` }, `#${run.id}`)),
      h("td", {}, badge(run.outcome)),
      h("td", {}, run.trigger),
      h("td", {}, time(run.startedAt)),
      h("td", {}, tookOf(run)),
      h("td", { class: "num" }, run.read),
      h("td", { class: "num" }, run.sent),
      h("td", { class: "num" }, run.filtered),
      h("td", { class: "num" }, run.rejected),
      h(
        "td",
        { class: "note" },
        run.error ?? (run.warnings.length ? `${run.warnings.length} warning(s)` : ""),
      ),
    ),
  );
  content(
    h("div", { class: "toolbar" }, h("label", { for: "outcome" }, "Outcome"), filter),
    list.length
      ? h(
          "table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...[
                "Run",
                "Outcome",
                "Trigger",
                "Started",
                "Took",
                "Read",
                "Sent",
                "Filtered",
                "Dead letters",
                "Note",
              ].map((t) => h("th", { scope: "col" }, t)),
            ),
          ),
          h("tbody", {}, rows),
        )
      : h("p", { class: "muted" }, "No runs."),
  );
}

async function run() {
  const r = await api(`/api/runs/${main.dataset.run}`);
  const field = (label, ...value) => [h("dt", {}, label), h("dd", {}, ...value)];
  content(
    h("p", {}, badge(r.outcome), ` ${r.trigger}`),
    h(
      "dl",
      { class: "details" },
      field("Started", time(r.startedAt)),
      field("Ended", time(r.endedAt), ` (${tookOf(r)})`),
      field("Counts", `${countsText(r)}, ${r.batches} batches`),
      field("Retries", r.retries),
      field("From checkpoint", h("code", { class: "id" }, r.firstCheckpoint ?? "—")),
      field("To checkpoint", h("code", { class: "id" }, r.lastCheckpoint ?? "—")),
      ...r.warnings.map((w) => field("Warning", w)),
    ),
    r.error
      ? h(
          "section",
          { class: "card failure" },
          h("h2", {}, "Error"),
          h("p", {}, r.error),
          h(
            "p",
            {},
            "Nothing after the checkpoint was skipped. ",
            h(
              "a",
              { href: `/replay?checkpoint=${r.lastCheckpoint}`, class: "button" },
              "Replay from this checkpoint",
            ),
          ),
        )
      : null,
  );
}

function logs() {
  let paused = false;
  let minimum = 30;
  const list = h("ol", { class: "logs", "aria-live": "off" });
  const pause = h(
    "button",
    {
      "aria-pressed": "false",
      onclick: () => {
        paused = !paused;
        pause.setAttribute("aria-pressed", String(paused));
        pause.textContent = paused ? "Resume" : "Pause";
      },
    },
    "Pause",
  );
  const level = h(
    "select",
    {
      id: "level",
      onchange: (event) => {
        minimum = Number(event.target.value);
        for (const item of list.children) item.hidden = Number(item.dataset.level) < minimum;
      },
    },
    ...[20, 30, 40, 50].map((value) =>
      h("option", { value, selected: value === 30 }, `${LEVELS[value]} and above`),
    ),
  );
  content(
    h("div", { class: "toolbar" }, h("label", { for: "level" }, "Level"), level, pause),
    list,
  );
  const source = new EventSource("/api/logs");
  source.addEventListener("log", (event) => {
    if (paused) return;
    const line = JSON.parse(event.data);
    const { level: lvl, time: at, msg, pid, hostname, ...rest } = line;
    const extras = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    const item = h(
      "li",
      { class: `log ${LEVELS[lvl] ?? ""}`, "data-level": lvl, hidden: lvl < minimum },
      h("time", {}, new Date(at).toLocaleTimeString()),
      h("span", { class: "lvl" }, LEVELS[lvl] ?? lvl),
      h("span", { class: "msg" }, msg ?? ""),
      h("span", { class: "extra" }, extras),
    );
    list.prepend(item);
    while (list.children.length > 500) list.lastChild.remove();
  });
}

function replay() {
  const params = new URLSearchParams(location.search);
  const id = h("input", {
    id: "checkpoint",
    name: "checkpoint",
    inputmode: "numeric",
    autocomplete: "off",
    placeholder: "900…",
    value: params.get("checkpoint") ?? "",
    "aria-describedby": "checkpoint-help",
  });
  const since = h("input", { id: "since", name: "since", type: "datetime-local", step: "1" });
  const preview = h("div", { class: "preview", "aria-live": "polite" });
  const query = () =>
    id.value.trim()
      ? { checkpoint: id.value.trim() }
      : { since: since.value ? new Date(since.value).toISOString() : "" };
  const confirm = h(
    "button",
    {
      class: "danger",
      type: "button",
      disabled: true,
      onclick: async () => {
        try {
          const result = await api("/api/replay", {
            method: "POST",
            body: JSON.stringify(query()),
          });
          preview.replaceChildren(
            h(
              "p",
              {},
              `Checkpoint moved to ${result.checkpoint}; the replay execution is running. `,
              h("a", { href: "/" }, "Watch it on the overview"),
              " or in ",
              h("a", { href: "/runs" }, "Runs"),
              ".",
            ),
          );
          toast("Replay started");
          confirm.disabled = true;
        } catch (error) {
          preview.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
        }
      },
    },
    "Replay from here",
  );
  const check = async (event) => {
    event?.preventDefault();
    const q = query();
    const response = await fetch(`/api/replay/preview?${new URLSearchParams(q)}`);
    const body = await response.json();
    if (!response.ok) {
      confirm.disabled = true;
      preview.replaceChildren(h("p", { class: "error", role: "alert" }, body.error));
      return;
    }
    confirm.disabled = false;
    preview.replaceChildren(
      h("p", {}, "Checkpoint ", h("code", { class: "id" }, body.checkpoint)),
      h(
        "p",
        {},
        `Embedded time: ${time(body.time)} — every event after it is sent again (Logstash gets duplicates, never gaps).`,
      ),
      ...body.warnings.map((w) => h("p", { class: "warning" }, w)),
    );
  };
  content(
    h(
      "form",
      { class: "card", onsubmit: check },
      h("label", { for: "checkpoint" }, "Checkpoint id"),
      id,
      h(
        "p",
        { id: "checkpoint-help", class: "muted" },
        "A 56-digit Auth0 log id, such as the checkpoint a failed run names. Or leave it empty and pick a time:",
      ),
      h("label", { for: "since" }, "Time (your local time)"),
      since,
      h("div", { class: "row" }, h("button", { type: "submit" }, "Preview"), confirm),
    ),
    preview,
  );
  if (id.value) check();
}

async function settings() {
  const s = await api("/api/settings");
  const input = h("input", {
    id: "schedule",
    value: s.schedule,
    "aria-describedby": "schedule-help",
  });
  const message = h("p", { "aria-live": "polite" });
  const save = async (body) => {
    try {
      const status = await api("/api/schedule", { method: "POST", body: JSON.stringify(body) });
      input.value = status.schedule;
      reset.hidden = status.scheduleSource !== "stored";
      message.className = "ok";
      message.textContent = `Saved: ${status.schedule}; next run ${time(status.nextRunAt)}.`;
    } catch (error) {
      message.className = "error";
      message.textContent = error.message;
    }
  };
  const reset = h(
    "button",
    { type: "button", onclick: () => save({ reset: true }) },
    `Reset to SCHEDULE (${s.configuredSchedule})`,
  );
  reset.hidden = s.scheduleSource !== "stored";
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        await save({ schedule: input.value });
      },
    },
    h("label", { for: "schedule" }, "Schedule"),
    h(
      "div",
      { class: "row" },
      input,
      h("button", { type: "submit", class: "primary" }, "Save"),
      reset,
    ),
    h(
      "p",
      { id: "schedule-help", class: "muted" },
      "A cron expression (5 or 6 fields) or an interval from 1s to 30d such as 30s or 5m. Applied at once, without restart.",
    ),
    message,
  );
  const rows = s.settings.map((row) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, h("code", {}, row.name)),
      h(
        "td",
        {},
        row.value === null ? h("span", { class: "muted" }, "unset") : h("code", {}, row.value),
      ),
      h("td", {}, row.source),
      h("td", { class: "note" }, row.description),
    ),
  );
  content(
    form,
    h("h2", {}, "Effective configuration"),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Setting", "Value", "Source", "Meaning"].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}

const pages = { overview, runs, run, logs, replay, settings, "dead-letters": deadLetters };
const render = pages[main.dataset.page];
async function refresh() {
  try {
    await render();
  } catch (error) {
    if (error.message !== "signed out") toast(`Could not load: ${error.message}`);
  }
}
refresh();
if (main.dataset.page === "overview") setInterval(refresh, 2000);
if (main.dataset.page === "runs") setInterval(refresh, 5000);
