/**
 * The architecture diagram of the final report, drawn as SVG from the topic
 * configuration: the processes, the topics with their partitions and
 * replication, who writes and who reads each, and the guarantee on each edge.
 * Built from config/topics.json, so a new partition count or topic shows up
 * without editing a picture.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { TopicsConfig } from "../config/mod.ts";
import { esc } from "../render/html.ts";

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  lines: string[];
  kind: "process" | "topic" | "store";
}

const FILL = { process: "#e8f0fb", topic: "#fff4e0", store: "#eaf6ea" } as const;
const STROKE = { process: "#4c78a8", topic: "#e0a000", store: "#54a24b" } as const;

/** A box of `kind` at `[x, y, width, height]` with its lines (the first in bold). */
function placed(
  kind: Box["kind"],
  [x, y, w, h]: readonly [number, number, number, number],
  lines: readonly string[],
): Box {
  return { x, y, w, h, kind, lines: [...lines] };
}

function box(b: Box): string {
  const rx = b.kind === "topic" ? 14 : 4;
  const text = b.lines.map((line, i) =>
    `<text x="${b.x + b.w / 2}" y="${b.y + 17 + i * 13}" text-anchor="middle" font-size="${
      i === 0 ? 11 : 9.5
    }"${i === 0 ? ' font-weight="bold"' : ""}>${esc(line)}</text>`
  ).join("");
  return `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="${rx}" fill="${
    FILL[b.kind]
  }" stroke="${STROKE[b.kind]}"/>${text}`;
}

/** An arrow from the right edge of `a` to the left edge of `b`, labelled. */
function arrow(a: Box, b: Box, label: string, dy = 0): string {
  const x1 = a.x + a.w, y1 = a.y + a.h / 2 + dy, x2 = b.x - 2, y2 = b.y + b.h / 2;
  const mx = (x1 + x2) / 2;
  return `<path d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" fill="none" stroke="#555" marker-end="url(#arrow)"/>` +
    (label === ""
      ? ""
      : `<text x="${mx}" y="${
        (y1 + y2) / 2 - 4
      }" text-anchor="middle" font-size="8.5" fill="#333">${esc(label)}</text>`);
}

/** The boxes that do not depend on the configuration: kind, [x, y, width, height], lines. */
// deno-fmt-ignore
const FIXED = {
  producer: ["process", [10, 120, 120, 58], ["producer.ts", "idempotent, acks=all", "event-time timestamps"]],
  store: ["store", [590, 20, 160, 58], ["SQLite or PostgreSQL", "idempotent upserts,", "one transaction per batch"]],
  forecaster: ["process", [370, 200, 150, 58], ["services/forecaster.ts", "Kafka transactions", "read_committed"]],
  dashboard: ["process", [370, 330, 150, 44], ["services/dashboard.ts", "WebSocket to browsers"]],
} as const;

function topicLines(t: TopicsConfig["topics"][number], key: string): string[] {
  return [
    t.name,
    `${t.partitions} partition${t.partitions === 1 ? "" : "s"} · RF ${t.replicationFactor}`,
    key,
  ];
}

/** The diagram as an SVG string (width 760). */
export function architectureSvg(topics: TopicsConfig, consumerGroup: string): string {
  const byRole = (role: string) => topics.topics.find((t) => t.role === role);
  const raw = byRole("raw"), dlq = byRole("dead_letter");
  const outs = ["forecasts", "estimates", "alerts"].flatMap((r) => byRole(r) ?? []);
  const producer = placed(...FIXED.producer);
  const rawBox = placed(
    "topic",
    [175, 120, 140, 58],
    raw === undefined ? ["raw topic"] : topicLines(raw, "key = station id"),
  );
  const consumer = placed("process", [370, 20, 150, 58], [
    "consumer.ts",
    `group ${consumerGroup}`,
    "commit after the write",
  ]);
  const store = placed(...FIXED.store);
  const dlqBox = placed(
    "topic",
    [590, 96, 160, 44],
    dlq === undefined ? ["dead letters"] : [dlq.name, "bytes + reason"],
  );
  const forecaster = placed(...FIXED.forecaster);
  const outBoxes = outs.map((t, i) =>
    placed("topic", [590, 160 + i * 50, 160, 44], [
      t.name,
      `${t.partitions} partitions · exactly once`,
    ])
  );
  const dashboard = placed(...FIXED.dashboard);
  const parts = [
    box(producer),
    box(rawBox),
    box(consumer),
    box(store),
    box(dlqBox),
    box(forecaster),
    ...outBoxes.map(box),
    box(dashboard),
    arrow(producer, rawBox, "readings"),
    arrow(rawBox, consumer, "at least once"),
    arrow(consumer, store, "effectively once"),
    arrow(consumer, dlqBox, "invalid"),
    arrow(rawBox, forecaster, "own group"),
    ...outBoxes.map((b) => arrow(forecaster, b, "")),
    `<path d="M${outBoxes.at(-1)?.x ?? 590},${
      (outBoxes.at(-1)?.y ?? 260) + 22
    } C540,${352} 540,352 ${
      dashboard.x + dashboard.w + 2
    },352" fill="none" stroke="#555" stroke-dasharray="4 3" marker-end="url(#arrow)"/>`,
    `<text x="555" y="330" font-size="8.5" fill="#333" text-anchor="middle">all topics</text>`,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 760 390" width="760" height="390" font-family="sans-serif" role="img" aria-label="airq architecture: processes, topics and guarantees"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>${
    parts.join("")
  }</svg>`;
}
