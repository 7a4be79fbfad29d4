/** The short table `pixellm eval` prints on stdout. */
import { FEW_TARGETS_MAX } from "@pixellm/muse";
import type { EvalSummary, GroupScore } from "./eval-summary";

export function evalTable(summary: EvalSummary): string {
  const rows: [string, GroupScore][] = [
    ["all", summary.overall],
    [`few (<= ${FEW_TARGETS_MAX} targets)`, summary.fewTargets],
    [`many (> ${FEW_TARGETS_MAX} targets)`, summary.manyTargets],
    ...summary.byTargets.map(({ targets, summary: s }): [string, GroupScore] => [
      `${targets} target${targets === 1 ? "" : "s"}`,
      s,
    ]),
    ...summary.byFamily.map(({ family, summary: s }): [string, GroupScore] => [`family ${family}`, s]),
  ];
  // The agreement column only where the file has reference answers to agree with.
  const agreement = summary.overall.referenceAgreement !== null;
  const header = ["", "questions", "targets", "gIoU", "cIoU", ...(agreement ? ["answer = reference"] : [])];
  const cells = rows.map(([name, s]) => [
    name,
    String(s.questions),
    String(s.targets),
    s.questions > 0 ? s.gIoU.toFixed(4) : "-",
    s.questions > 0 ? s.cIoU.toFixed(4) : "-",
    ...(agreement ? [s.referenceAgreement === null ? "-" : s.referenceAgreement.toFixed(3)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ");
  return [
    line(header),
    ...cells.map(line),
    "",
    `${summary.overall.questions} questions in ${summary.seconds.toFixed(1)} s (${summary.questionsPerSecond.toFixed(2)} questions/s), ${summary.failed} failed`,
  ].join("\n");
}
