// What `verify` prints: per hour, for people, or as JSON (with the missing ids) for scripts.

import type { RepairOutcome } from "../runner/verification.ts";
import type { HourCounts, Totals, Verification } from "../runner/verify.ts";
import { columns } from "./format.ts";

const HEADER = [
  "Hour (UTC)",
  "At Auth0",
  "Filtered",
  "Present",
  "Missing",
  "Dead letters",
  "Not sent yet",
];

function cells(label: string, counts: Totals): string[] {
  return [
    label,
    ...[
      counts.atAuth0,
      counts.filtered,
      counts.present,
      counts.missing,
      counts.deadLettered,
      counts.unsent,
    ].map(String),
  ];
}

const SHOWN_IDS = 20;

const clock = (iso: string) => iso.replace("T", " ").slice(0, 19);

export function verificationText(
  found: Verification,
  where: { tenant: string; target: string; runId: number },
  repair: RepairOutcome | null,
): string {
  const lines = [
    `Verified tenant ${where.tenant} against ${where.target} (run ${where.runId})`,
    `Period: ${clock(found.start)} up to ${clock(found.until)} UTC (after ${found.from})`,
    "",
    columns(HEADER, [
      ...found.hours.map((h: HourCounts) => cells(h.hour.slice(0, 16).replace("T", " "), h)),
      cells("Total", found.totals),
    ]),
    "",
  ];
  const { missing, deadLettered, unsent } = found.totals;
  if (missing === 0) lines.push("Nothing is missing.");
  else {
    lines.push(`Missing from the index: ${missing} events (--json lists every id):`);
    for (const id of found.missing.slice(0, SHOWN_IDS)) lines.push(`  ${id}`);
    if (missing > SHOWN_IDS) lines.push(`  … and ${missing - SHOWN_IDS} more`);
    if (!repair) lines.push("Re-send them with the same arguments and --repair.");
  }
  if (deadLettered > 0) {
    lines.push(
      `${deadLettered} events are dead letters (refused by the sink, kept): see 'dead-letters'.`,
    );
  }
  if (unsent > 0) {
    lines.push(
      `${unsent} events after the checkpoint are not sent yet: the next execution sends them.`,
    );
  }
  if (repair) {
    lines.push(
      `Repair (run ${repair.runId}): re-sent ${repair.sent} events` +
        (repair.rejected.length > 0
          ? `, ${repair.rejected.length} refused by the sink and kept as dead letters`
          : "") +
        (repair.stillMissing.length > 0
          ? `; ${repair.stillMissing.length} still not in the index`
          : "; every one is in the index now."),
    );
    for (const id of repair.stillMissing.slice(0, SHOWN_IDS)) lines.push(`  ${id}`);
  }
  return `${lines.join("\n")}\n`;
}

export function verificationJson(
  found: Verification,
  where: { tenant: string; target: string; runId: number },
  repair: RepairOutcome | null,
): string {
  const { missingEvents: _events, ...plain } = found;
  return `${JSON.stringify({ tenant: where.tenant, target: where.target, runId: where.runId, ...plain, repair })}\n`;
}
