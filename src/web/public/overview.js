// One tenant's overview: its job switch, last run, sink, checkpoint and today's exports, refreshed
// every two seconds.

import {
  api,
  content,
  countsText,
  duration,
  h,
  healthBadge,
  holderText,
  runBadge,
  tenantApi,
  tenantPage,
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

/** The tenant's Log Stream: its status as the last sweep read it, and the events by path. */
function streamCard(stream) {
  if (!stream) return null;
  const watched = stream.health?.status != null;
  return h(
    "section",
    { class: "card", "data-stream": "" },
    h("h2", {}, "Log Stream"),
    h(
      "p",
      { class: watched && !stream.active ? "error" : watched ? "" : "muted" },
      stream.statusText,
    ),
    h("p", {}, stream.eventsText),
  );
}

export async function overview() {
  const s = await api(tenantApi("/status"));
  const toggle = h(
    "button",
    {
      class: `switch ${s.enabled ? "on" : ""}`,
      role: "switch",
      "data-key": "switch",
      "aria-checked": String(s.enabled),
      "aria-label": "Job enabled",
      onclick: async () => {
        await api(tenantApi("/job"), {
          method: "POST",
          body: JSON.stringify({ enabled: !s.enabled }),
        });
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
          const result = await api(tenantApi("/run-now"), { method: "POST" });
          toast(
            result.started ? "Execution started" : "Asked the replica that holds it to run now",
          );
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
        { class: "card", "data-health-card": "" },
        h("h2", {}, "Health"),
        h("p", {}, healthBadge(s.health)),
        s.health.reasons.length
          ? h(
              "ul",
              { class: "reasons" },
              s.health.reasons.map((reason) => h("li", {}, reason)),
            )
          : h("p", { class: "muted" }, "Nothing failing, behind or at risk"),
      ),
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
          { class: "muted", "data-holder": "" },
          `Exported by ${holderText(s.holder, s.here)}`,
        ),
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
              runBadge(last),
              " ",
              h("a", { href: tenantPage(`/runs/${last.id}`) }, `Run ${last.id}`),
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
                { href: tenantPage("/dead-letters"), class: "error" },
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
      streamCard(s.logStream),
      s.verification
        ? h(
            "section",
            { class: "card", "data-verified": "" },
            h("h2", {}, "Last verified"),
            h("p", { class: s.verification.missing > 0 ? "error" : "" }, s.verification.text),
          )
        : null,
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
