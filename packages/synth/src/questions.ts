/**
 * Questions about a scene that take a little reasoning to answer: a unique description, two of
 * them, a colour or a kind, the largest or smallest, what lies on one side of something, a
 * counted group, or what a shape affords (balls roll). Each question has 1–4 targets and an
 * answer naming every target before its `{seg}`, left to right (or in the order asked).
 */
import type { Rng } from "./rng";
import type { SceneObject } from "./scene";
import { SHAPE_INFO, type ShapeKind } from "./shapes";

export interface Question {
  /** Which family of reasoning produced it (reports break scores down by it). */
  readonly family: QuestionFamily;
  readonly text: string;
  /** In answer order. */
  readonly targets: readonly SceneObject[];
  /** One `{seg}` per target, MUSE's `text_answers` form. */
  readonly answer: string;
}

export type QuestionFamily =
  "describe" | "pair" | "colour" | "kind" | "extreme" | "relation" | "counted" | "affordance";

export const MAX_TARGETS = 4;

/** What answers call an object: "red ball". */
export function objectName(o: SceneObject): string {
  return `${o.colourName} ${SHAPE_INFO[o.kind].noun}`;
}

function answerFor(targets: readonly SceneObject[]): string {
  const items = targets.map((t) => `the ${objectName(t)} {seg}`);
  const list =
    items.length === 1 ? items[0]! : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]!}`;
  return `Sure, ${list}.`;
}

const leftToRight = (a: SceneObject, b: SceneObject) => a.cx - b.cx || a.cy - b.cy;

function question(
  family: QuestionFamily,
  text: string,
  targets: readonly SceneObject[],
  ordered = false,
): Question | undefined {
  if (targets.length === 0 || targets.length > MAX_TARGETS) return undefined;
  const inOrder = ordered ? [...targets] : [...targets].sort(leftToRight);
  return { family, text, targets: inOrder, answer: answerFor(inOrder) };
}

/** How a single object can be referred to unambiguously in this scene. */
function descriptions(o: SceneObject, all: readonly SceneObject[], rng: Rng): string[] {
  const out: string[] = [];
  const noun = rng.pick(SHAPE_INFO[o.kind].nouns);
  if (all.filter((x) => x.kind === o.kind && x.colourName === o.colourName).length === 1)
    out.push(`${o.colourName} ${noun}`);
  if (all.filter((x) => x.kind === o.kind).length === 1) out.push(noun);
  if (all.filter((x) => x.colourName === o.colourName).length === 1)
    out.push(rng.pick([`${o.colourName} shape`, `${o.colourName} object`]));
  const extreme = extremes(all);
  if (extreme.largest === o) out.push(rng.pick(["largest shape", "biggest shape"]));
  if (extreme.smallest === o) out.push("smallest shape");
  return out;
}

/** The clearly largest and smallest objects (35% apart from the runner-up), if any. */
function extremes(objects: readonly SceneObject[]): { largest?: SceneObject; smallest?: SceneObject } {
  if (objects.length < 2) return {};
  const bySize = [...objects].sort((a, b) => b.area - a.area);
  const clear = (a: SceneObject, b: SceneObject) => a.area >= 1.35 * b.area;
  return {
    ...(clear(bySize[0]!, bySize[1]!) ? { largest: bySize[0]! } : {}),
    ...(clear(bySize[bySize.length - 2]!, bySize[bySize.length - 1]!)
      ? { smallest: bySize[bySize.length - 1]! }
      : {}),
  };
}

type Side = "left" | "right" | "above" | "below";

/**
 * The objects on one side of `ref`: centre beyond its edge. Undefined when an object sits near
 * that line, where people would disagree.
 */
function onSide(
  ref: SceneObject,
  side: Side,
  all: readonly SceneObject[],
  minSide: number,
): SceneObject[] | undefined {
  const xs = ref.polygon.filter((_, i) => i % 2 === 0);
  const ys = ref.polygon.filter((_, i) => i % 2 === 1);
  const edge = {
    left: Math.min(...xs),
    right: Math.max(...xs),
    above: Math.min(...ys),
    below: Math.max(...ys),
  }[side];
  const along = (o: SceneObject) => (side === "left" || side === "right" ? o.cx : o.cy);
  const beyond = (o: SceneObject) =>
    side === "left" || side === "above" ? along(o) < edge : along(o) > edge;
  const band = 0.06 * minSide;
  const others = all.filter((o) => o !== ref);
  if (others.some((o) => Math.abs(along(o) - edge) < band)) return undefined;
  return others.filter(beyond);
}

const SIDE_PHRASES: Readonly<Record<Side, readonly string[]>> = {
  left: ["left of", "to the left of"],
  right: ["right of", "to the right of"],
  above: ["above"],
  below: ["below", "under"],
};

const COUNT_WORDS = ["", "one", "two", "three", "four"];

/** Properties of kinds that questions of affordance ask about. */
const AFFORDANCES: readonly { kinds: readonly ShapeKind[]; phrasings: readonly string[] }[] = [
  {
    kinds: ["circle"],
    phrasings: [
      "What could roll down a slope?",
      "Which shapes could roll away?",
      "Segment everything that is round.",
    ],
  },
  {
    kinds: ["triangle"],
    phrasings: ["Which shapes have exactly three corners?", "Segment every shape with three sides."],
  },
  {
    kinds: ["square", "rectangle"],
    phrasings: ["Which shapes have four corners?", "Segment every shape with four sides."],
  },
  {
    kinds: ["star"],
    phrasings: ["What looks like it belongs in the night sky?", "Which shapes have five points?"],
  },
  {
    kinds: ["square", "rectangle", "triangle", "star"],
    phrasings: ["Which shapes have corners?", "Segment everything that is not round."],
  },
];

type Generator = (objects: readonly SceneObject[], rng: Rng, minSide: number) => Question | undefined;

const GENERATORS: Readonly<Record<QuestionFamily, Generator>> = {
  describe(objects, rng) {
    const o = rng.pick(objects);
    const names = descriptions(o, objects, rng);
    if (names.length === 0) return undefined;
    const d = rng.pick(names);
    const text = rng.pick([
      `Please segment the ${d}.`,
      `Segment the ${d}.`,
      `Where is the ${d}?`,
      `Find the ${d}.`,
      `Can you segment the ${d}?`,
      `Show me the ${d}.`,
    ]);
    return question("describe", text, [o]);
  },
  pair(objects, rng) {
    if (objects.length < 2) return undefined;
    const [a, b] = rng.shuffled(objects);
    const da = descriptions(a!, objects, rng);
    const db = descriptions(b!, objects, rng);
    if (da.length === 0 || db.length === 0) return undefined;
    const [x, y] = [rng.pick(da), rng.pick(db)];
    if (x === y) return undefined;
    const text = rng.pick([
      `Please segment the ${x} and the ${y}.`,
      `Segment the ${x} and the ${y}.`,
      `Where are the ${x} and the ${y}?`,
    ]);
    return question("pair", text, [a!, b!], true);
  },
  colour(objects, rng) {
    const c = rng.pick(objects).colourName;
    const text = rng.pick([
      `Segment everything ${c}.`,
      `Which shapes are ${c}?`,
      `Find all the ${c} objects.`,
      `Please segment all ${c} things.`,
    ]);
    return question(
      "colour",
      text,
      objects.filter((o) => o.colourName === c),
    );
  },
  kind(objects, rng) {
    const kind = rng.pick(objects).kind;
    const info = SHAPE_INFO[kind];
    const text = rng.pick([
      `Segment all the ${info.plural}.`,
      `Where are the ${info.plural}?`,
      `Find every ${rng.pick(info.nouns)}.`,
      `Please segment the ${info.plural}.`,
    ]);
    return question(
      "kind",
      text,
      objects.filter((o) => o.kind === kind),
    );
  },
  extreme(objects, rng) {
    const { largest, smallest } = extremes(objects);
    if (rng.chance(0.5)) {
      if (!largest) return undefined;
      const text = rng.pick([
        "Segment the largest shape.",
        "Which object is the biggest?",
        "Find the biggest shape.",
      ]);
      return question("extreme", text, [largest]);
    }
    if (!smallest) return undefined;
    const text = rng.pick([
      "Segment the smallest shape.",
      "Which object is the smallest?",
      "Find the tiniest shape.",
    ]);
    return question("extreme", text, [smallest]);
  },
  relation(objects, rng, minSide) {
    const ref = rng.pick(objects);
    const names = descriptions(ref, objects, rng);
    if (names.length === 0) return undefined;
    const side = rng.pick<Side>(["left", "right", "above", "below"]);
    const targets = onSide(ref, side, objects, minSide);
    if (!targets) return undefined;
    const where = `${rng.pick(SIDE_PHRASES[side])} the ${rng.pick(names)}`;
    const text = rng.pick([
      `Segment the shapes ${where}.`,
      `What is ${where}?`,
      `Find everything ${where}.`,
      `Which shapes are ${where}?`,
    ]);
    return question("relation", text, targets);
  },
  counted(objects, rng, minSide) {
    const ref = rng.pick(objects);
    const names = descriptions(ref, objects, rng);
    if (names.length === 0) return undefined;
    const side = rng.pick<Side>(["left", "right", "above", "below"]);
    const targets = onSide(ref, side, objects, minSide);
    if (!targets || targets.length < 2) return undefined;
    const count = COUNT_WORDS[targets.length];
    if (!count) return undefined;
    const where = `${rng.pick(SIDE_PHRASES[side])} the ${rng.pick(names)}`;
    const text = rng.pick([`Segment the ${count} shapes ${where}.`, `Find the ${count} objects ${where}.`]);
    return question("counted", text, targets);
  },
  affordance(objects, rng) {
    const present = AFFORDANCES.filter((a) => objects.some((o) => a.kinds.includes(o.kind)));
    if (present.length === 0) return undefined;
    const a = rng.pick(present);
    return question(
      "affordance",
      rng.pick(a.phrasings),
      objects.filter((o) => a.kinds.includes(o.kind)),
    );
  },
};

const FAMILY_WEIGHTS: readonly (readonly [QuestionFamily, number])[] = [
  ["describe", 0.2],
  ["pair", 0.12],
  ["colour", 0.14],
  ["kind", 0.14],
  ["extreme", 0.08],
  ["relation", 0.14],
  ["counted", 0.06],
  ["affordance", 0.12],
];

/** Up to `count` questions with distinct texts and distinct target sets. */
export function askQuestions(
  objects: readonly SceneObject[],
  count: number,
  rng: Rng,
  minSide: number,
): Question[] {
  const asked: Question[] = [];
  const seen = new Set<string>();
  for (let attempt = 0; asked.length < count && attempt < 30 * count; attempt++) {
    const q = GENERATORS[rng.weighted(FAMILY_WEIGHTS)](objects, rng, minSide);
    if (!q) continue;
    const targetKey = q.targets
      .map((t) => t.index)
      .sort()
      .join(",");
    if (seen.has(q.text) || seen.has(targetKey)) continue;
    seen.add(q.text);
    seen.add(targetKey);
    asked.push(q);
  }
  return asked;
}
