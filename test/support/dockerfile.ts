/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
}

/** A build stage: its `FROM` image, its name and its instructions. */
export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages; comments and blank lines are dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) || (!pending && !line.trim())) continue;
    const continued = /\\\s*$/.test(line);
    pending += `${continued ? line.replace(/\\\s*$/, '') : line} `;
    if (!continued) {
      logical.push(pending.trim().replace(/\s+/g, ' '));
      pending = '';
    }
  }
  if (pending.trim()) logical.push(pending.trim());
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword!.toUpperCase() === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args!);
      if (!from) throw new Error(`cannot read FROM ${args}`);
      stages.push({ image: from[1]!, name: from[2], instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`${keyword} before the first FROM`);
      stages[stages.length - 1]!.instructions.push({ keyword: keyword!.toUpperCase(), args: args! });
    }
  }
  return stages;
}

/** The arguments of an exec-form instruction (`["node", "x.js"]`), or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  return JSON.parse(args) as string[];
}

/** A `COPY`'s options, sources and destination (exec or shell form). */
export function copySpec(args: string): { from?: string; chown?: string; sources: string[]; destination: string } {
  const words = execForm(args) ?? args.split(' ');
  const options = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const option = (name: string) => options.find((o) => o.startsWith(`--${name}=`))?.slice(name.length + 3);
  return {
    from: option('from'),
    chown: option('chown'),
    sources: paths.slice(0, -1),
    destination: paths[paths.length - 1]!,
  };
}
