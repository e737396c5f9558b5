import { describe, expect, test } from "bun:test";
import { findArgProblem } from "../../../src/commands/argv.ts";

const args = {
  json: { type: "boolean" },
  scripts: { type: "string", alias: "s" },
  concurrency: { type: "string" },
  "allow-root": { type: "string" },
  file: { type: "positional", required: false },
} as const;

describe("findArgProblem", () => {
  test.each([
    [[]],
    [["--json"]],
    [["--no-json"]],
    [["--scripts", "x"]],
    [["--scripts=x"]],
    [["-s", "x"]],
    [["--allow-root", "/a"]],
    [["--allowRoot", "/a"]],
    [["f.py"]],
    [["--", "--anything", "goes"]],
    [["-"]],
  ])("accepts %p", (argv) => expect(findArgProblem(argv as string[], args)).toBeUndefined());

  test.each([
    [["--jsn"], 'unknown option "--jsn"'],
    [["-x"], 'unknown option "-x"'],
    [["--scripts"], 'option "--scripts" needs a value'],
    [["a.py", "b.py"], 'unexpected argument "b.py"'],
    [["--no-scripts"], 'unknown option "--no-scripts"'],
  ])("rejects %p", (argv, message) => expect(findArgProblem(argv as string[], args)).toBe(message));
});
