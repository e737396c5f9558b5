import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  expandPath,
  expandRecord,
  expandString,
  type ExpandContext,
  type VarSyntax,
} from "../../../src/upstream/discovery/expand.ts";
import {
  CLAUDE,
  CODEX,
  CURSOR,
  GEMINI,
  OPENCODE,
  VSCODE,
  WINDSURF,
  CONTINUE,
  GENERIC,
} from "../../../src/upstream/discovery/dialects.ts";
import { tempDir } from "../../support/bridge.ts";

const ctx = (
  syntax: VarSyntax,
  env: Record<string, string | undefined> = {},
  over: Partial<ExpandContext> = {},
): ExpandContext => ({ env, home: "/home/u", cwd: "/work/proj", windows: false, syntax, notes: [], ...over });

describe("each client's own variable syntax", () => {
  const env = { TOKEN: "t", HOME: "/h" };

  test("Claude Code: ${VAR} and ${VAR:-default}; an unset ${VAR} stays as written; not $VAR or ${env:VAR}", () => {
    const c = ctx(CLAUDE.syntax, { ...env, EMPTY: "" });
    expect(expandString("a-${TOKEN}-${MISSING:-dflt}-${EMPTY:-dflt}", c)).toBe("a-t-dflt-");
    expect(expandString("$TOKEN ${env:TOKEN} ${workspaceFolder}", c)).toBe("$TOKEN ${env:TOKEN} ${workspaceFolder}");
    expect(c.notes[0]).toContain("workspaceFolder is not set; ${workspaceFolder} was kept as written");
  });

  test("VS Code: ${env:VAR}, predefined variables, ${input:…} needs the editor; ${VAR} alone is not expanded", () => {
    const c = ctx(VSCODE.syntax, env);
    expect(
      expandString(
        "${env:TOKEN}|${workspaceFolder}|${workspaceFolderBasename}|${userHome}|${pathSeparator}|${/}|${TOKEN}",
        c,
      ),
    ).toBe("t|/work/proj|proj|/home/u|/|/|${TOKEN}");
    expect(expandString("key=${input:api-key}", c)).toBe("key=");
    expect(c.needsInput).toEqual(["api-key"]);
    expect(expandString("${command:pick}", c)).toBe("");
    expect(c.notes.at(-1)).toContain("only be resolved inside the editor");
  });

  test("Cursor: ${env:NAME} and the predefined variables, no ${input:…}", () => {
    const c = ctx(CURSOR.syntax, env);
    expect(expandString("${env:TOKEN}@${userHome}/${workspaceFolderBasename}", c)).toBe("t@/home/u/proj");
  });

  test("Gemini CLI: $VAR and ${VAR}; %VAR% only on Windows", () => {
    expect(expandString("$TOKEN/${TOKEN}/%TOKEN%", ctx(GEMINI.syntax, env))).toBe("t/t/%TOKEN%");
    expect(expandString("%TOKEN%", ctx(GEMINI.syntax, env, { windows: true }))).toBe("t");
  });

  test("opencode: {env:VAR}; ${VAR} is literal", () => {
    expect(expandString("{env:TOKEN}-${TOKEN}", ctx(OPENCODE.syntax, env))).toBe("t-${TOKEN}");
  });

  test("Codex: no interpolation at all", () => {
    expect(expandString("${TOKEN} $TOKEN {env:TOKEN}", ctx(CODEX.syntax, env))).toBe("${TOKEN} $TOKEN {env:TOKEN}");
  });

  test("Continue: ${{ secrets.NAME }} from its .env, else the environment", () => {
    const c = ctx(CONTINUE.syntax, env, { secrets: { GH: "from-dotenv" } });
    expect(expandString("${{ secrets.GH }} ${{secrets.TOKEN}} ${{ secrets.NOPE }}", c)).toBe("from-dotenv t ");
    expect(c.notes[0]).toContain("secret NOPE");
  });

  test("an unset variable becomes empty, with one note", () => {
    const c = ctx(GENERIC.syntax);
    expect(expandString("${MISSING}/${MISSING}", c)).toBe("/");
    expect(c.notes).toEqual(["environment variable MISSING is not set; ${MISSING} was left empty"]);
  });

  test("expanded values are not expanded again, across syntaxes", () => {
    expect(expandString("${A}", ctx(GENERIC.syntax, { A: "${B}", B: "secret" }))).toBe("${B}");
    expect(expandString("$A", ctx(GEMINI.syntax, { A: "$B", B: "secret" }))).toBe("$B");
  });

  test("Windows environment names are case-insensitive", () => {
    expect(expandString("${appdata}", ctx(GENERIC.syntax, { APPDATA: "C:\\A" }, { windows: true }))).toBe("C:\\A");
    expect(expandString("${appdata}", ctx(GENERIC.syntax, { APPDATA: "C:\\A" }))).toBe("");
  });
});

describe("file references (Windsurf ${file:…}, opencode {file:…})", () => {
  const dir = tempDir("bridge-expand-");
  afterAll(dir.cleanup);
  writeFileSync(join(dir.path, "token"), "s3cret\n");

  test("are read (trimmed) when the file is approved, relative to the config file", () => {
    expect(expandString(`\${file:${join(dir.path, "token")}}`, ctx(WINDSURF.syntax, {}, { allowFiles: true }))).toBe(
      "s3cret",
    );
    expect(expandString("{file:token}", ctx(OPENCODE.syntax, {}, { allowFiles: true, fileDir: dir.path }))).toBe(
      "s3cret",
    );
  });

  test("are never read for an unapproved project file", () => {
    const c = ctx(OPENCODE.syntax, {}, { allowFiles: false, fileDir: dir.path });
    expect(expandString("{file:token}", c)).toBe("");
    expect(c.notes[0]).toContain("not approved");
  });

  test("a missing file is a note", () => {
    const c = ctx(WINDSURF.syntax, {}, { allowFiles: true });
    expect(expandString("${file:/nonexistent/x}", c)).toBe("");
    expect(c.notes[0]).toContain("file not found");
  });
});

describe("expandPath and expandRecord", () => {
  test("a leading ~ is the home directory only where the client does that (bridge's own format)", () => {
    expect(expandPath("~/bin/tool", ctx(GENERIC.syntax))).toBe("/home/u/bin/tool");
    expect(expandPath("~", ctx(GENERIC.syntax))).toBe("/home/u");
    expect(expandPath("a~/b", ctx(GENERIC.syntax))).toBe("a~/b");
    expect(expandPath("~/bin/tool", ctx(CLAUDE.syntax))).toBe("~/bin/tool");
  });

  test("expandRecord expands values, keeps keys, and keeps __proto__ as an own key", () => {
    const out = expandRecord(JSON.parse('{"__proto__": "${A}", "K": "${A}"}'), ctx(GENERIC.syntax, { A: "v" }))!;
    expect(Object.keys(out)).toEqual(["__proto__", "K"]);
    expect(out.K).toBe("v");
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});
