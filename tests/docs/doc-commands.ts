// What a Markdown page asks a reader to type: the commands of its shell blocks, the files its YAML
// blocks name, and the commands quoted inline in its prose. tests/docs/commands.test.ts runs them.

/** One step of a page, in page order. */
export type Step =
  | {
      kind: 'command';
      /** 1-based line of the command's first line. */
      line: number;
      /** The command as written (continuation lines joined with their `\` and newline), comment and all. */
      text: string;
      /** The exit code the page documents with a trailing `# exits N`; 0 otherwise. */
      exits: number;
    }
  | {
      kind: 'file';
      line: number;
      /** The file a YAML block saves, from its first line `# NAME.yaml`. */
      name: string;
      content: string;
    };

/** A command quoted in prose: `` `headstart …` `` or `` `npx headstart …` ``. */
export interface InlineCommand {
  line: number;
  text: string;
}

/** Everything {@link readPage} finds in one page. */
export interface PageCommands {
  steps: Step[];
  inline: InlineCommand[];
  /** Blocks that hold commands but are not marked as shell (so nothing would run them). */
  unmarked: { line: number; text: string }[];
}

const SHELL = new Set(['sh', 'bash', 'shell']);
/** A first word that makes a line of an unmarked block a command. */
const COMMAND_START = /^(npx |npm |node |headstart )/;

/** The commands, files and inline commands of `markdown`, in order. */
export function readPage(markdown: string): PageCommands {
  const lines = markdown.split('\n');
  const result: PageCommands = { steps: [], inline: [], unmarked: [] };
  let prose: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]!);
    if (!open) {
      prose.push({ line: i + 1, text: lines[i]! });
      continue;
    }
    result.inline.push(...inlineCommands(prose));
    prose = [];
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`line ${i + 1}: a code block that never closes`);
    const body = lines.slice(i + 1, end);
    const lang = open[1]!.toLowerCase();
    if (SHELL.has(lang)) result.steps.push(...shellCommands(body, i + 2));
    else if (lang === 'yaml' || lang === 'yml') {
      const name = /^#\s*(\S+\.ya?ml)\s*$/.exec(body[0] ?? '');
      if (name) result.steps.push({ kind: 'file', line: i + 1, name: name[1]!, content: `${body.join('\n')}\n` });
    } else if (lang === '' || lang === 'text') {
      body.forEach((text, j) => COMMAND_START.test(text.trim()) && result.unmarked.push({ line: i + 2 + j, text }));
    }
    i = end;
  }
  result.inline.push(...inlineCommands(prose));
  return result;
}

/** The commands of a shell block whose first line is `firstLine`: blank and comment-only lines dropped. */
function shellCommands(body: string[], firstLine: number): Step[] {
  const steps: Step[] = [];
  for (let j = 0; j < body.length; j++) {
    const start = j;
    let text = body[j]!;
    while (text.endsWith('\\') && j + 1 < body.length) text += `\n${body[++j]}`;
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    const exits = /#\s*exits (\d+)\b/.exec(text);
    steps.push({ kind: 'command', line: firstLine + start, text, exits: exits ? Number(exits[1]) : 0 });
  }
  return steps;
}

/** Inline code spans of prose lines that start with `headstart ` or `npx headstart ` (a span may wrap a line). */
function inlineCommands(prose: { line: number; text: string }[]): InlineCommand[] {
  const found: InlineCommand[] = [];
  const text = prose.map((p) => p.text).join('\n');
  for (const match of text.matchAll(/`([^`]+)`/g)) {
    const span = match[1]!.replace(/\s*\n\s*/g, ' ');
    if (!/^(npx )?headstart /.test(span)) continue;
    const line = prose[text.slice(0, match.index).split('\n').length - 1]!.line;
    found.push({ line, text: span });
  }
  return found;
}

/**
 * Whether an inline command is a name rather than a command to copy: one word after `headstart`
 * (`headstart train`), or one with placeholders (`…`, or a word in capitals such as FILE, DIR, MODEL.onnx).
 */
export function isMentionOrTemplate(text: string): boolean {
  const words = text.replace(/^npx /, '').split(' ');
  return words.length === 2 || text.includes('…') || /\b[A-Z][A-Z0-9_]{2,}\b/.test(text);
}

/** `text` without a leading `npx `: the same command, run through the workspace's bin or an installed one. */
export function withoutNpx(text: string): string {
  return text.replace(/^npx /, '');
}
