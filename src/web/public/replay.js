// Replay: move one tenant's checkpoint back, after a preview of what that means. A move forward
// skips the events not sent yet: the preview names the span, and the confirm needs a tick.

import { api, content, h, tenantApi, tenantPage, time, toast } from "./lib.js";

export function replay() {
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
  /** What the preview showed (the confirm moves to it, whatever was typed since). */
  let previewed = null;
  /** The tick that accepts a skip, when the previewed move is forward. */
  let skip = null;
  const confirm = h(
    "button",
    {
      class: "danger",
      type: "button",
      disabled: true,
      onclick: async () => {
        try {
          const result = await api(tenantApi("/replay"), {
            method: "POST",
            body: JSON.stringify({ ...previewed, ...(skip?.checked ? { skip: true } : {}) }),
          });
          preview.replaceChildren(
            h(
              "p",
              {},
              result.skipped
                ? `Checkpoint moved forward to ${result.checkpoint}, skipping ${result.skipped}; the execution from it is running. `
                : `Checkpoint moved to ${result.checkpoint}; the replay execution is running. `,
              h("a", { href: tenantPage() }, "Watch it on the overview"),
              " or in ",
              h("a", { href: tenantPage("/runs") }, "Runs"),
              ".",
            ),
          );
          toast(result.skipped ? "Checkpoint moved forward" : "Replay started");
          confirm.disabled = true;
          skip = null;
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
    const response = await fetch(tenantApi(`/replay/preview?${new URLSearchParams(q)}`));
    const body = await response.json();
    previewed = q;
    skip = null;
    if (!response.ok) {
      confirm.disabled = true;
      preview.replaceChildren(h("p", { class: "error", role: "alert" }, body.error));
      return;
    }
    if (body.skips) {
      skip = h("input", {
        id: "skip",
        type: "checkbox",
        onchange: (event) => {
          confirm.disabled = !event.target.checked;
        },
      });
    }
    const forward = skip
      ? [
          h(
            "p",
            { class: "error", role: "alert" },
            `This moves the checkpoint forward from ${time(body.previousTime)}: it skips ${body.skips}. They will never be sent.`,
          ),
          h("label", { class: "tick" }, skip, `Skip ${body.skips}: never send them`),
        ]
      : [];
    confirm.textContent = body.skips ? "Skip to here" : "Replay from here";
    confirm.disabled = Boolean(body.skips);
    preview.replaceChildren(
      h("p", {}, "Checkpoint ", h("code", { class: "id" }, body.checkpoint)),
      h(
        "p",
        {},
        body.skips
          ? `Embedded time: ${time(body.time)} — the next execution sends every event after it.`
          : `Embedded time: ${time(body.time)} — every event after it is sent again (Logstash gets duplicates, never gaps).`,
      ),
      ...forward,
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
