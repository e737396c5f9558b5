/**
 * The I/O `bridge image build` needs, as one small object: short engine queries (EngineDeps), long
 * steps whose output goes to a log file (debootstrap, builds, imports), who runs it, and where
 * progress lines go. `realImageBuildDeps` gives the real ones.
 */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { defaultEngineDeps, type EngineDeps } from "../engine.ts";

/** What a long step ended with: its exit code and the last lines it printed (for error messages). */
export interface StepResult {
  exitCode: number;
  tail: string;
}

export interface ImageBuildDeps extends EngineDeps {
  /** Runs a long step; every output line goes to `logFile` (when given) and `onLine`. */
  run(argv: string[], opts: { logFile?: string; onLine?: (line: string) => void; cwd?: string }): Promise<StepResult>;
  /** One progress line for the person waiting (stderr). */
  say(message: string): void;
  uid: number;
  listDir(dir: string): string[];
}

/** Real processes and files; progress on stderr. */
export function realImageBuildDeps(say: (message: string) => void): ImageBuildDeps {
  return {
    ...defaultEngineDeps(),
    say,
    uid: process.getuid?.() ?? 0,
    listDir: (dir) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
    readFile: (p) => {
      try {
        return readFileSync(p, "utf8");
      } catch {
        return undefined;
      }
    },
    async run(argv, opts) {
      if (opts.logFile) writeFileSync(opts.logFile, `$ ${argv.join(" ")}\n`);
      const proc = Bun.spawn(argv, { cwd: opts.cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      const tail: string[] = [];
      const pump = async (stream: ReadableStream<Uint8Array>) => {
        const dec = new TextDecoder();
        let rest = "";
        for await (const chunk of stream) {
          const text = rest + dec.decode(chunk, { stream: true });
          const lines = text.split(/\r?\n|\r/);
          rest = lines.pop() ?? "";
          for (const line of lines) take(line);
        }
        if (rest) take(rest);
      };
      const take = (line: string) => {
        if (opts.logFile) appendFileSync(opts.logFile, `${line}\n`);
        if (line.trim()) tail.push(line);
        if (tail.length > 20) tail.shift();
        opts.onLine?.(line);
      };
      await Promise.all([pump(proc.stdout), pump(proc.stderr)]);
      const exitCode = await proc.exited;
      return { exitCode, tail: tail.slice(-3).join(" / ") || "(no output)" };
    },
  };
}
