/** Allowed folders (resolveFolders, copyFolders) and result files (collector caps, safe saving). */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MASK_MAX, maskSpecialFiles, walkFolder } from "../../../src/sandbox/folder-walk.ts";
import {
  copyFolders,
  mountArgs,
  parseFolderEntry,
  REMOTE_COPY_MAX_BYTES,
  resolveFolders,
} from "../../../src/sandbox/folders.ts";
import {
  MAX_FILE_NOTES,
  MAX_RESULT_FILES,
  mimeTypeOf,
  ResultFileCollector,
  saveResultFiles,
  type ResultFile,
} from "../../../src/sandbox/result-files.ts";
import { warmSpec } from "../../../src/sandbox/warm.ts";
import { tempDir } from "../../support/bridge.ts";

const tmp = tempDir("bridge-folders-");
afterAll(tmp.cleanup);
const dir = (name: string) => {
  const p = join(tmp.path, name);
  mkdirSync(p, { recursive: true });
  return p;
};
const root = dir("home/.bridge");
const base = {
  root,
  stateDir: join(root, "state"),
  tokenFile: join(root, "token"),
  outputFolder: undefined as string | undefined,
};

describe("resolveFolders", () => {
  test("real paths, named after the folder, ~ expanded; the same folder twice is one", () => {
    const sales = dir("home/sales");
    symlinkSync(sales, join(tmp.path, "home/sales-link"));
    expect(resolveFolders({ ...base, folders: ["~/sales-link", sales] }, join(tmp.path, "home"))).toEqual({
      read: [{ name: "sales", host: sales, mount: "/data/sales", writable: false }],
    });
  });

  test("refused with the reason: relative, missing, a file, ':', system folders, bridge's root or a folder holding it, two folders with one name", () => {
    writeFileSync(join(tmp.path, "file.txt"), "");
    const cases: Array<[string[], RegExp]> = [
      [["data"], /not an absolute path/],
      [[join(tmp.path, "missing")], /does not exist/],
      [[join(tmp.path, "file.txt")], /is not a folder/],
      [[dir("a:b")], /contains ':'/],
      [["/"], /system folder/],
      [["/proc/self"], /system folder/],
      [[root], /holds bridge's own files/],
      [[join(tmp.path, "home")], /holds bridge's own files/],
      [[dir("home/.bridge/state/x")], /holds bridge's own files/],
      [[dir("one/data"), dir("two/data")], /would both be \/data\/data/],
    ];
    for (const [folders, why] of cases) expect(() => resolveFolders({ ...base, folders }), folders.join()).toThrow(why);
    expect(() => resolveFolders({ ...base, folders: [], outputFolder: root })).toThrow(
      /MCP_BRIDGE_OUTPUT_FOLDER: .* holds bridge's own files/,
    );
  });
});

describe("read-write folders (':rw')", () => {
  test("an entry is PATH, PATH:ro or PATH:rw; any other suffix is refused with the fix", () => {
    expect(parseFolderEntry("/home/u/sales")).toEqual({ path: "/home/u/sales", writable: false });
    expect(parseFolderEntry("/home/u/sales:ro")).toEqual({ path: "/home/u/sales", writable: false });
    // Only the two words: an inherited Object key ("toString", "constructor") made the entry read-write.
    for (const word of ["toString", "constructor", "__proto__"])
      expect(parseFolderEntry(`/home/u/sales:${word}`)).toEqual({ path: `/home/u/sales:${word}`, writable: false });
    expect(parseFolderEntry("/home/u/sales:rw")).toEqual({ path: "/home/u/sales", writable: true });
    expect(parseFolderEntry("~/sales:rw")).toEqual({ path: "~/sales", writable: true });
    // Any other ':' stays in the path, which the path check refuses, naming the suffixes that exist.
    for (const other of ["/home/u/sales:RW", "/home/u/sales:wr", "/home/u/a:b/c", "/home/u/sales:"])
      expect(parseFolderEntry(other)).toEqual({ path: other, writable: false });
    const sales = dir("typo/sales");
    let err: unknown;
    try {
      resolveFolders({ ...base, folders: [`${sales}:RW`] });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: "CONFIG_INVALID",
      message: `MCP_BRIDGE_FOLDERS: "${sales}:RW" contains ':', which container engines cannot mount`,
      hint: `Rename the folder, or allow a parent folder without ':'. An entry may end with ":rw" (read-write) or ":ro" (read-only, the default), lower case, e.g. ${sales}:rw.`,
    });
  });

  test("resolved with the access mode; ~ expanded; the same folder twice is one, unless the modes differ", () => {
    const sales = dir("rw/home/sales");
    const ref = dir("rw/home/ref");
    const home = join(tmp.path, "rw/home");
    expect(resolveFolders({ ...base, folders: ["~/sales:rw", `${ref}:ro`, `${sales}:rw`] }, home)).toEqual({
      read: [
        { name: "sales", host: sales, mount: "/data/sales", writable: true },
        { name: "ref", host: ref, mount: "/data/ref", writable: false },
      ],
    });
    expect(() => resolveFolders({ ...base, folders: [`${sales}:rw`, `${home}/./sales`] }, home)).toThrow(
      /is listed both read-only and read-write/,
    );
  });

  test("every refusal of read-only folders holds for read-write ones; ':' in a path still fails clearly", () => {
    const cases: Array<[string, RegExp]> = [
      ["data:rw", /not an absolute path/],
      [`${join(tmp.path, "missing")}:rw`, /does not exist/],
      [`${dir("rw/a:b")}:rw`, /contains ':'/],
      ["/:rw", /system folder/],
      ["/proc/self:rw", /system folder/],
      ["/sys:rw", /system folder/],
      ["/dev:rw", /system folder/],
      ["/run:rw", /system folder/],
      [`${root}:rw`, /holds bridge's own files/],
      [`${join(tmp.path, "home")}:rw`, /holds bridge's own files/],
      [`${dir("home/.bridge/state/y")}:rw`, /holds bridge's own files/],
    ];
    for (const [entry, why] of cases) expect(() => resolveFolders({ ...base, folders: [entry] }), entry).toThrow(why);
  });

  test("a read-write folder that is, contains or lies inside the output folder is refused; read-only ones may", () => {
    const out = dir("rwout/reports");
    const parent = join(tmp.path, "rwout");
    const sub = dir("rwout/reports/sub");
    for (const [folder, how] of [
      [out, "is"],
      [parent, "contains"],
      [sub, "lies inside"],
    ] as const)
      expect(() => resolveFolders({ ...base, folders: [`${folder}:rw`], outputFolder: out }), folder).toThrow(
        `MCP_BRIDGE_FOLDERS: ${folder} is allowed read-write and ${how} MCP_BRIDGE_OUTPUT_FOLDER (${out})`,
      );
    expect(resolveFolders({ ...base, folders: [parent, sub], outputFolder: out }).output).toBe(out);
    expect(resolveFolders({ ...base, folders: [`${dir("rwout2/w")}:rw`], outputFolder: out }).output).toBe(out);
  });

  test("mount flags: ro, or rw (podman adds nosuid,nodev; docker's -v refuses them)", () => {
    const folders = {
      read: [
        { name: "a", host: "/h/a", mount: "/data/a", writable: false },
        { name: "b", host: "/h/b", mount: "/data/b", writable: true },
      ],
    };
    expect(mountArgs(folders, "podman")).toEqual([
      "--volume",
      "/h/a:/data/a:ro",
      "--volume",
      "/h/b:/data/b:rw,nosuid,nodev",
    ]);
    expect(mountArgs(folders, "docker")).toEqual(["--volume", "/h/a:/data/a:ro", "--volume", "/h/b:/data/b:rw"]);
  });
});

describe("copyFolders (remote engines)", () => {
  test("regular files and links inside are copied; links out, FIFOs and unreadable dirs are refused; the size is capped", () => {
    const f = dir("copy/f");
    writeFileSync(join(f, "a.txt"), "a");
    mkdirSync(join(f, "sub"));
    writeFileSync(join(f, "sub/b.txt"), "b");
    symlinkSync("a.txt", join(f, "in-link"));
    symlinkSync(join(tmp.path, "file.txt"), join(f, "out-link"));
    Bun.spawnSync(["mkfifo", join(f, "fifo")]);
    const copy = copyFolders({ read: [{ name: "f", host: f, mount: "/data/f", writable: false }] });
    expect(copy.files.map((x) => [x.path, new TextDecoder().decode(x.data)])).toEqual([
      ["/data/f/a.txt", "a"],
      ["/data/f/in-link", "a"],
      ["/data/f/sub/b.txt", "b"],
    ]);
    expect(copy.refused).toEqual({
      "/data/f/fifo": "a FIFO, not a regular file",
      "/data/f/out-link": "a symbolic link that leads out of the allowed folder /data/f",
    });
    const big = dir("copy/big");
    writeFileSync(join(big, "x"), Buffer.alloc(REMOTE_COPY_MAX_BYTES + 1));
    expect(() => copyFolders({ read: [{ name: "big", host: big, mount: "/data/big", writable: false }] })).toThrow(
      /on a remote engine bridge copies them into every sandbox container/,
    );
  });
});

describe("maskSpecialFiles (local engines)", () => {
  const folder = (host: string, name = "f") => ({ read: [{ name, host, mount: `/data/${name}`, writable: false }] });

  test("every FIFO and socket (and device, as root) at any depth gets a read-only empty-file mount and a reason", async () => {
    const f = dir("mask/f");
    writeFileSync(join(f, "a.txt"), "a");
    mkdirSync(join(f, "sub/deeper"), { recursive: true });
    Bun.spawnSync(["mkfifo", join(f, "fifo"), join(f, "sub/deeper/fifo2")]);
    const server = Bun.listen({ unix: join(f, "sub/app.sock"), socket: { data() {} } });
    if (process.getuid?.() === 0) Bun.spawnSync(["mknod", join(f, "null-dev"), "c", "1", "3"]);
    try {
      const m = maskSpecialFiles(folder(f), "/tmp/x/empty");
      const expected: Record<string, string> = {
        "/data/f/fifo": "a FIFO, not a regular file",
        "/data/f/sub/app.sock": "a socket, not a regular file",
        "/data/f/sub/deeper/fifo2": "a FIFO, not a regular file",
      };
      if (process.getuid?.() === 0) expected["/data/f/null-dev"] = "a device, not a regular file";
      expect(m.refused).toEqual(expected);
      expect(m.mounts).toEqual(
        Object.keys(expected)
          .sort()
          .flatMap((t) => ["--volume", `/tmp/x/empty:${t}:ro`]),
      );
      expect(maskSpecialFiles(folder(dir("mask/plain")), "/e")).toEqual({ mounts: [], refused: {} });
    } finally {
      server.stop(true);
    }
  });

  test("refused, naming a few: more than MASK_MAX, or a name the engine cannot take (':' or a control character)", () => {
    const many = dir("mask/many");
    Bun.spawnSync([
      "mkfifo",
      ...Array.from({ length: MASK_MAX + 1 }, (_, i) => join(many, `p${String(i).padStart(3, "0")}`)),
    ]);
    expect(() => maskSpecialFiles(folder(many), "/e")).toThrow(
      `the allowed folder ${many} holds ${MASK_MAX + 1} FIFOs, sockets or devices ("${many}/p000", "${many}/p001", "${many}/p002", ...); bridge hides each from the sandbox with its own mount and stops at ${MASK_MAX} in all`,
    );
    for (const bad of ["a:b", "new\nline"]) {
      const f = dir(`mask/bad-${bad.length}`);
      Bun.spawnSync(["mkfifo", join(f, bad)]);
      expect(() => maskSpecialFiles(folder(f), "/e")).toThrow(
        `whose names bridge cannot hide from the sandbox (':' or a control character): ${JSON.stringify(join(f, bad))}`,
      );
    }
  });

  test("the walk is bounded in entries and depth", () => {
    const f = dir("mask/wide");
    for (let i = 0; i < 5; i++) writeFileSync(join(f, `x${i}`), "");
    const seen: string[] = [];
    walkFolder(
      { name: "wide", host: f, mount: "/data/wide", writable: false },
      (e) => seen.push(e.target),
      () => {},
      { entries: 5, depth: 64 },
    );
    expect(seen).toHaveLength(5);
    expect(() =>
      walkFolder(
        { name: "wide", host: f, mount: "/data/wide", writable: false },
        () => {},
        () => {},
        { entries: 4, depth: 64 },
      ),
    ).toThrow(/holds more than 4 entries/);
    const deep = dir("mask/deep");
    mkdirSync(join(deep, "a/b/c"), { recursive: true });
    expect(() =>
      walkFolder(
        { name: "deep", host: deep, mount: "/data/deep", writable: false },
        () => {},
        () => {},
        { entries: 100, depth: 2 },
      ),
    ).toThrow(/nested deeper than 2 levels/);
  });
});

describe("result files", () => {
  const chunk = (name: unknown, offset: number, body: string, last = true) =>
    [{ name, offset, last }, new TextEncoder().encode(body)] as const;

  test("chunks are reassembled; bad names (control characters shown escaped), out-of-order chunks, too many files or bytes are dropped with a note", () => {
    const c = new ResultFileCollector(3, 10);
    c.push(...chunk("a.txt", 0, "ab", false));
    c.push(...chunk("a.txt", 2, "cd"));
    for (const bad of [
      "../x",
      "/etc/passwd",
      "a//b",
      ".",
      "x\0y",
      42,
      "fake\nnote.txt",
      "\x1b[31mred.csv",
      "del\x7f",
      "csi\u009b2J",
    ])
      c.push(...chunk(bad, 0, "z"));
    c.push(...chunk("skip.txt", 5, "z"));
    c.push(...chunk("b.txt", 0, "123456789"));
    c.push(...chunk("c.txt", 0, "1"));
    c.push(...chunk("d.txt", 0, "1"));
    c.push(...chunk("half.txt", 0, "", false));
    expect(c.files().map((f) => [f.name, new TextDecoder().decode(f.data)])).toEqual([
      ["a.txt", "abcd"],
      ["c.txt", "1"],
      ["d.txt", "1"],
    ]);
    expect(c.notes).toEqual([
      "/output/../x not returned: not a valid file name",
      "/output//etc/passwd not returned: not a valid file name",
      "/output/a//b not returned: not a valid file name",
      "/output/. not returned: not a valid file name",
      "/output/x\\x00y not returned: its name contains control characters",
      "/output/42 not returned: not a valid file name",
      "/output/fake\\x0anote.txt not returned: its name contains control characters",
      "/output/\\x1b[31mred.csv not returned: its name contains control characters",
      "/output/del\\x7f not returned: its name contains control characters",
      "/output/csi\\x9b2J not returned: its name contains control characters",
      "/output/skip.txt not returned: its chunks arrived out of order",
      "/output/b.txt not returned: at most 10 B of files per call",
      "/output/half.txt not returned: at most 3 files per call",
    ]);
  });

  test("a finished file is never reopened: no second copy past the file cap, no bytes uncounted", () => {
    const c = new ResultFileCollector(2, 10);
    for (let i = 0; i < 1000; i++) c.push(...chunk("a.txt", 0, ""));
    c.push(...chunk("b.txt", 0, "12345678"));
    c.push(...chunk("b.txt", 0, "x")); // out of order after its last chunk: must not free b's bytes
    c.push(...chunk("b.txt", 8, "9"));
    c.push(...chunk("c.txt", 0, "12345"));
    expect(c.files().map((f) => [f.name, f.data.length])).toEqual([
      ["a.txt", 0],
      ["b.txt", 8],
    ]);
    expect(c.notes).toEqual([
      "/output/a.txt: chunks after its last one were ignored",
      "/output/b.txt: chunks after its last one were ignored",
      "/output/c.txt not returned: at most 2 files per call",
    ]);
  });

  test("notes stop at MAX_FILE_NOTES however many bad frames arrive", () => {
    const c = new ResultFileCollector();
    for (let i = 0; i < 10_000; i++) c.push(...chunk(`../x${i}`, 0, "z"));
    for (let i = 0; i < 10_000; i++) c.push(...chunk(`f${i}.txt`, 0, "z"));
    expect(c.files()).toHaveLength(MAX_RESULT_FILES);
    expect(c.notes).toHaveLength(MAX_FILE_NOTES + 1);
    expect(c.notes.at(-1)).toBe(
      `${20_000 - MAX_RESULT_FILES - MAX_FILE_NOTES} more result file chunks or files not returned (same kinds of reasons)`,
    );
  });

  test("saving never follows a link, never replaces a file, and creates subfolders", () => {
    const out = dir("out");
    const elsewhere = dir("elsewhere");
    symlinkSync(elsewhere, join(out, "linked"));
    writeFileSync(join(out, "r.csv"), "mine");
    const files: ResultFile[] = [
      ["r.csv", "1"],
      ["r.csv", "2"],
      ["linked/evil.txt", "x"],
      ["new/deep/f.json", "{}"],
    ].map(([name, text]) => ({ name: name!, data: new TextEncoder().encode(text), mimeType: mimeTypeOf(name!) }));
    const notes = saveResultFiles(files, out);
    expect(files.map((f) => f.savedTo)).toEqual([
      join(out, "r-1.csv"),
      join(out, "r-2.csv"),
      undefined,
      join(out, "new/deep/f.json"),
    ]);
    expect(notes).toEqual([`/output/linked/evil.txt not saved to ${out}: ${join(out, "linked")} is a symbolic link`]);
    expect(readFileSync(join(out, "r.csv"), "utf8")).toBe("mine");
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(readdirSync(out).filter((n) => n.endsWith(".part"))).toEqual([]);
    expect(files[3]!.mimeType).toBe("application/json");
  });
});

test("warm imports: auto expands to the data-science modules, optional unless named explicitly", () => {
  expect(warmSpec(["auto"])).toEqual({
    modules: ["numpy", "pandas", "matplotlib.pyplot"],
    optional: ["numpy", "pandas", "matplotlib.pyplot"],
  });
  expect(warmSpec(["pandas", "auto", "polars"])).toEqual({
    modules: ["pandas", "numpy", "matplotlib.pyplot", "polars"],
    optional: ["numpy", "matplotlib.pyplot"],
  });
  expect(warmSpec([])).toEqual({ modules: [], optional: [] });
});
