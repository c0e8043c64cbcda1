// Replay: move one tenant's checkpoint back, after a preview of what that means.

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
            body: JSON.stringify(query()),
          });
          preview.replaceChildren(
            h(
              "p",
              {},
              `Checkpoint moved to ${result.checkpoint}; the replay execution is running. `,
              h("a", { href: tenantPage() }, "Watch it on the overview"),
              " or in ",
              h("a", { href: tenantPage("/runs") }, "Runs"),
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
    const response = await fetch(tenantApi(`/replay/preview?${new URLSearchParams(q)}`));
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
