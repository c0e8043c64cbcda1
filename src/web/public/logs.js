// The live log of this replica, streamed over server-sent events, with a level filter and pause.

import { content, h, LEVELS } from "./lib.js";

export function logs() {
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
