// The dead letters page: documents the sink refused for good, each with the cluster's reason, and
// a way to send them again once the cause is fixed. Nothing here deletes them.

import { api, content, h, tenantApi, time, toast } from "./lib.js";

export async function deadLetters() {
  const { counts, deadLetters: letters } = await api(tenantApi("/dead-letters?limit=200"));
  const retry = async (body, button) => {
    button.disabled = true;
    try {
      const outcome = await api(tenantApi("/dead-letters/retry"), {
        method: "POST",
        body: JSON.stringify(body),
      });
      toast(
        `Re-sent ${outcome.tried}: ${outcome.delivered} delivered, ${outcome.refused} refused again.`,
      );
    } catch (error) {
      toast(`Not re-sent: ${error.message}`);
    } finally {
      button.disabled = false;
      deadLetters();
    }
  };
  const all = h(
    "button",
    {
      class: "primary",
      "data-key": "retry-all",
      disabled: counts.pending === 0,
      onclick: (event) => retry({ all: true }, event.currentTarget),
    },
    "Re-send all",
  );
  const rows = letters.map((letter) =>
    h(
      "tr",
      {},
      h("td", {}, `#${letter.id}`),
      h("td", {}, h("code", { class: "id" }, letter.logId)),
      h("td", {}, time(letter.createdAt)),
      h("td", { class: "num" }, letter.attempts),
      h("td", { class: "note" }, `${letter.status} ${letter.reason}`),
      h(
        "td",
        {},
        h(
          "button",
          {
            "data-key": `retry-${letter.id}`,
            onclick: (event) => retry({ ids: [letter.id] }, event.currentTarget),
          },
          "Re-send",
        ),
      ),
    ),
  );
  content(
    h(
      "p",
      {},
      `${counts.pending} waiting, ${counts.resolved} re-sent since. `,
      "A document the cluster refuses for what it is (a field whose type conflicts with the index's mapping) is kept here with the reason instead of being dropped. Fix the cause, often by running ",
      h("code", {}, "setup"),
      ", then re-send.",
    ),
    h("div", { class: "toolbar" }, all),
    letters.length
      ? h(
          "table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...["Letter", "Log id", "Kept", "Tries", "Reason", ""].map((t) =>
                h("th", { scope: "col" }, t),
              ),
            ),
          ),
          h("tbody", {}, rows),
        )
      : h("p", { class: "muted" }, "No dead letters."),
  );
}
