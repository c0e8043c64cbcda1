// One tenant's run history, and one run in detail.

import {
  api,
  content,
  countsText,
  h,
  main,
  runBadge,
  tenantApi,
  tenantPage,
  time,
  tookOf,
} from "./lib.js";

export async function runs() {
  const outcome = new URLSearchParams(location.search).get("outcome") ?? "";
  const list = await api(tenantApi(`/runs?limit=200${outcome ? `&outcome=${outcome}` : ""}`));
  const filter = h(
    "select",
    {
      id: "outcome",
      onchange: (event) => {
        const value = event.target.value;
        history.replaceState(null, "", value ? `?outcome=${value}` : tenantPage("/runs"));
        runs();
      },
    },
    ...["", ...(main.dataset.outcomes ?? "").split(" ").filter(Boolean)].map((value) =>
      h("option", { value, selected: value === outcome }, value || "all outcomes"),
    ),
  );
  // Only a tenant with a Log Stream has runs that left events out as already streamed.
  const streamed = list.some((run) => run.streamed > 0);
  const rows = list.map((run) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: tenantPage(`/runs/${run.id}`) }, `#${run.id}`)),
      h("td", {}, runBadge(run)),
      h("td", {}, run.trigger),
      h("td", {}, time(run.startedAt)),
      h("td", {}, tookOf(run)),
      h("td", { class: "num" }, run.read),
      h("td", { class: "num" }, run.sent),
      h("td", { class: "num" }, run.filtered),
      streamed ? h("td", { class: "num" }, run.streamed) : null,
      h("td", { class: "num" }, run.rejected),
      h(
        "td",
        { class: "note" },
        run.error ??
          // A skipped tick says why (information, not a warning), as a skip of events does.
          (run.outcome === "skipped-events" || run.outcome === "skipped"
            ? run.warnings[0]
            : run.warnings.length
              ? `${run.warnings.length} warning(s)`
              : ""),
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
                streamed ? "Already streamed" : null,
                "Dead letters",
                "Note",
              ]
                .filter((t) => t !== null)
                .map((t) => h("th", { scope: "col" }, t)),
            ),
          ),
          h("tbody", {}, rows),
        )
      : h("p", { class: "muted" }, "No runs."),
  );
}

/**
 * Replaying from a failed run's checkpoint re-sends what came after it; where the stored checkpoint
 * is still that one (or none is known) the next execution starts there anyway: no offer then.
 */
function replayChangesSomething(from, stored) {
  return typeof from === "string" && typeof stored === "string" && from < stored;
}

export async function run() {
  const [r, status] = await Promise.all([
    api(tenantApi(`/runs/${main.dataset.run}`)),
    api(tenantApi("/status")),
  ]);
  const replay = replayChangesSomething(r.lastCheckpoint, status.checkpoint);
  const field = (label, ...value) => [h("dt", {}, label), h("dd", {}, ...value)];
  content(
    h("p", {}, runBadge(r), ` ${r.trigger}`),
    h(
      "dl",
      { class: "details" },
      field("Started", time(r.startedAt)),
      field("Ended", time(r.endedAt), ` (${tookOf(r)})`),
      field("Counts", `${countsText(r)}, ${r.batches} batches`),
      field("Retries", r.retries),
      field("From checkpoint", h("code", { class: "id" }, r.firstCheckpoint ?? "—")),
      field("To checkpoint", h("code", { class: "id" }, r.lastCheckpoint ?? "—")),
      ...r.warnings.map((w) => field(r.outcome === "skipped" ? "Why" : "Warning", w)),
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
            "Nothing after the checkpoint was skipped",
            replay
              ? [
                  ". ",
                  h(
                    "a",
                    { href: tenantPage(`/replay?checkpoint=${r.lastCheckpoint}`), class: "button" },
                    "Replay from this checkpoint",
                  ),
                ]
              : ": the next execution starts from it.",
          ),
        )
      : null,
  );
}
