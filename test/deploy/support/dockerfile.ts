/**
 * A Dockerfile read into stages of instructions (continuations joined, comments dropped), with
 * the build arguments declared before the first FROM substituted into FROM lines by their
 * defaults, as a build without --build-arg sees them.
 */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  /** The image or earlier stage it starts from, and its `AS` name. */
  readonly from: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"));
  const stages: Stage[] = [];
  const buildArgs = new Map<string, string>();
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (keyword.toUpperCase() === "ARG" && stages.length === 0) {
      const [name = "", value = ""] = args.split("=", 2);
      buildArgs.set(name, value);
    } else if (keyword.toUpperCase() === "FROM") {
      const resolved = args.replace(/\$\{(\w+)\}/g, (_, name: string) => {
        const value = buildArgs.get(name);
        if (value === undefined) throw new Error(`FROM uses \${${name}}, declared by no ARG before it`);
        return value;
      });
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(resolved);
      if (!match) throw new Error(`unreadable FROM: ${line}`);
      stages.push({ from: match[1]!, ...(match[2] ? { name: match[2] } : {}), instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${keyword} before the first FROM`);
      stage.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** The last value an instruction takes in a stage (USER, WORKDIR, CMD, …). */
export function last(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
}
