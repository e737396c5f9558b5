/**
 * SandboxService's data work with a fake engine: what a container is started with (folders mounted
 * or copied, /output, warm imports), result files reassembled and saved, and sessions that say
 * when they start fresh.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createConsola } from "consola";
import { loadConfig } from "../../../src/config/index.ts";
import type { EngineDeps } from "../../../src/sandbox/engine.ts";
import { SandboxService } from "../../../src/sandbox/service.ts";
import { tempDir } from "../../support/bridge.ts";
import { doneFrame, fakeSpawn, type FakeBehaviour } from "../../support/sandbox-fake.ts";

const tmp = tempDir("bridge-data-unit-");
afterAll(tmp.cleanup);

function setup(behaviour: FakeBehaviour, env: Record<string, string> = {}, engineEnv: Record<string, string> = {}) {
  const config = loadConfig({
    env: { BRIDGE_ROOT: join(tmp.path, "root"), MCP_BRIDGE_POOL_SIZE: "0", ...env },
    readFile: () => undefined,
  });
  let fake: ReturnType<typeof fakeSpawn> | undefined;
  const engine: EngineDeps = {
    which: (c) => (c === "podman" ? "/usr/bin/podman" : null),
    exec: async (argv) => {
      if (argv[1] === "kill") fake?.kill(argv.slice(4));
      return { exitCode: 0, stdout: argv[1] === "version" ? "4.3.1" : "false", stderr: "" };
    },
    env: engineEnv,
    platform: "linux",
    readFile: () => undefined,
  };
  const log = createConsola({ level: 0 });
  fake = fakeSpawn(behaviour);
  const service = new SandboxService(config, { engine, log, extensions: [], spawn: fake.spawn, pid: 4242 });
  return { service, fake: fake! };
}

const fileFrames = (name: string, text: string) => [
  { header: { t: "file", name, offset: 0, last: true, size: text.length }, body: text },
];

describe("containers", () => {
  const sales = join(tmp.path, "sales");
  mkdirSync(sales, { recursive: true });
  writeFileSync(join(sales, "a.csv"), "x\n1\n");
  symlinkSync("/etc/hostname", join(sales, "out-link"));
  execFileSync("mkfifo", [join(sales, "pipe")]);

  test("nothing is mounted by default; /output is a tmpfs; warm imports default to auto", async () => {
    const { service, fake } = setup({});
    await service.run({ code: "1" });
    const argv = fake.argvs[0]!.join(" ");
    expect(argv).not.toContain("--volume");
    expect(argv).not.toContain("/data");
    expect(argv).toContain("--tmpfs /output:rw,nosuid,nodev,size=64m,mode=1777");
    expect(fake.received[0]).toMatchObject({
      t: "init",
      warm: { modules: ["numpy", "pandas", "matplotlib.pyplot"], optional: ["numpy", "pandas", "matplotlib.pyplot"] },
      folders: [],
    });
    await service.shutdown();
  });

  test("local engine: allowed folders are bind-mounted read-only at /data/<name>, their FIFOs masked, unix sockets refused in the runtime", async () => {
    const { service, fake } = setup({}, { MCP_BRIDGE_FOLDERS: sales, MCP_BRIDGE_WARM_IMPORTS: "polars,auto" });
    await service.run({ code: "1" });
    const argv = fake.argvs[0]!;
    expect(argv.slice(argv.indexOf("--volume"), argv.indexOf("--volume") + 2)).toEqual([
      "--volume",
      `${sales}:/data/sales:ro`,
    ]);
    expect(fake.received[0]).toMatchObject({
      warm: {
        modules: ["polars", "numpy", "pandas", "matplotlib.pyplot"],
        optional: ["numpy", "pandas", "matplotlib.pyplot"],
      },
      folders: [{ name: "sales", host: sales, mount: "/data/sales", writable: false }],
      denyUnixSockets: true,
      refused: { "/data/sales/pipe": "a FIFO, not a regular file" },
    });
    // The FIFO is covered by an empty read-only file, mounted after the folder.
    const masks = argv.flatMap((a, i) => (argv[i - 1] === "--volume" && a.endsWith(":/data/sales/pipe:ro") ? [i] : []));
    expect(masks).toHaveLength(1);
    expect(masks[0]!).toBeGreaterThan(argv.indexOf(`${sales}:/data/sales:ro`));
    expect(readFileSync(argv[masks[0]!]!.split(":")[0]!, "utf8")).toBe("");
    expect(fake.received.some((h) => h.t === "put")).toBe(false);
    await service.shutdown();
  });

  test("local engine: folders are not mounted without the runtime's syscall filter (no-new-privileges off, or not installed)", async () => {
    const off = setup({}, { MCP_BRIDGE_FOLDERS: sales, MCP_BRIDGE_NO_NEW_PRIVILEGES: "false" });
    await expect(off.service.run({ code: "1" })).rejects.toThrow(
      /MCP_BRIDGE_FOLDERS cannot be used with MCP_BRIDGE_NO_NEW_PRIVILEGES=false/,
    );
    expect(off.fake.argvs).toHaveLength(0);
    const noFilter = setup(
      { filter: false, onExec: () => [doneFrame({ status: "ok", value: "RAN" })] },
      { MCP_BRIDGE_FOLDERS: sales },
    );
    await expect(noFilter.service.run({ code: "1" })).rejects.toThrow(
      /the sandbox's syscall filter could not be installed \(unsupported CPU architecture/,
    );
    await noFilter.service.shutdown();
    // Without folders the filter stays optional (a warning), as before.
    const plain = setup({ filter: false, onExec: () => [doneFrame({ status: "ok", value: "RAN" })] });
    expect((await plain.service.run({ code: "1" })).status).toBe("ok");
    await plain.service.shutdown();
  });

  test("remote engine: nothing is mounted; the files are copied into a tmpfs, links out and FIFOs refused, and copied again at every reset", async () => {
    const { service, fake } = setup(
      {},
      { MCP_BRIDGE_FOLDERS: sales, MCP_BRIDGE_POOL_SIZE: "1" },
      { CONTAINER_HOST: "ssh://elsewhere" },
    );
    service.warm();
    await Bun.sleep(30);
    await service.run({ code: "1" });
    await Bun.sleep(30);
    const argv = fake.argvs[0]!.join(" ");
    expect(argv).not.toContain("--volume");
    expect(argv).toContain("--tmpfs /data:rw,nosuid,nodev,size=134217728,mode=1777");
    const init = fake.received.find((h) => h.t === "init")!;
    expect(init.denyUnixSockets).toBeUndefined(); // copies hold no sockets: unix sockets stay allowed
    expect(init.data).toEqual({
      files: 1,
      refused: {
        "/data/sales/out-link": "a symbolic link that leads out of the allowed folder /data/sales",
        "/data/sales/pipe": "a FIFO, not a regular file",
      },
    });
    expect(fake.received.filter((h) => h.t === "put").map((h) => h.path)).toEqual([
      "/data/sales/a.csv",
      "/data/sales/a.csv",
    ]);
    expect(fake.received.find((h) => h.t === "reset")).toMatchObject({ data: { files: 1 } });
    await service.shutdown();
  });

  test("local engine: a ':rw' folder is bind-mounted read-write (podman: nosuid,nodev) and the runtime also refuses mknod and symlink", async () => {
    const ref = join(tmp.path, "ref");
    mkdirSync(ref, { recursive: true });
    const { service, fake } = setup({}, { MCP_BRIDGE_FOLDERS: `${sales}:rw,${ref}` });
    await service.run({ code: "1" });
    const argv = fake.argvs[0]!;
    expect(argv).toContain(`${sales}:/data/sales:rw,nosuid,nodev`);
    expect(argv).toContain(`${ref}:/data/ref:ro`);
    // The special files of a read-write folder are masked as well.
    expect(argv.some((a) => a.endsWith(":/data/sales/pipe:ro"))).toBe(true);
    expect(fake.received[0]).toMatchObject({
      folders: [
        { name: "sales", host: sales, mount: "/data/sales", writable: true },
        { name: "ref", host: ref, mount: "/data/ref", writable: false },
      ],
      denyUnixSockets: true,
      denyPlanting: true,
      refused: { "/data/sales/pipe": "a FIFO, not a regular file" },
    });
    await service.shutdown();
    // Read-only folders only: FIFOs and links may still be made (in /tmp, say).
    const ro = setup({}, { MCP_BRIDGE_FOLDERS: ref });
    await ro.service.run({ code: "1" });
    expect(ro.fake.received[0]!.denyPlanting).toBeUndefined();
    await ro.service.shutdown();
  });

  test("remote engine: a ':rw' folder is refused before any container starts (copies could not keep writes)", async () => {
    const { service, fake } = setup({}, { MCP_BRIDGE_FOLDERS: `${sales}:rw` }, { CONTAINER_HOST: "ssh://elsewhere" });
    await expect(service.run({ code: "1" })).rejects.toThrow(
      new RegExp(`MCP_BRIDGE_FOLDERS: ${sales} is allowed read-write, but the container engine is remote`),
    );
    expect(fake.argvs).toHaveLength(0);
  });

  test("a folder holding bridge's root (the queue secret) is refused before any container starts", async () => {
    const { service, fake } = setup({}, { MCP_BRIDGE_FOLDERS: tmp.path });
    await expect(service.run({ code: "1" })).rejects.toThrow(/holds bridge's own files/);
    expect(fake.argvs).toHaveLength(0);
  });
});

describe("result files", () => {
  test("come back in the outcome and are saved to the output folder without replacing anything", async () => {
    const out = join(tmp.path, "reports");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "summary.csv"), "the user's own file");
    const { service } = setup(
      {
        onExec: () => [
          ...fileFrames("summary.csv", "new"),
          ...fileFrames("deep/x.txt", "x"),
          { header: { t: "done", status: "ok" } },
        ],
      },
      { MCP_BRIDGE_OUTPUT_FOLDER: out },
    );
    const r = await service.run({ code: "1" });
    expect(r.files?.map((f) => [f.name, new TextDecoder().decode(f.data), f.mimeType, f.savedTo])).toEqual([
      ["summary.csv", "new", "text/csv", join(out, "summary-1.csv")],
      ["deep/x.txt", "x", "text/plain", join(out, "deep/x.txt")],
    ]);
    expect(readFileSync(join(out, "summary.csv"), "utf8")).toBe("the user's own file");
    expect(readFileSync(join(out, "summary-1.csv"), "utf8")).toBe("new");
    await service.shutdown();
  });
});

describe("sessions tell the truth", () => {
  test("a memory-killed session call says its state is lost; the next call says it starts fresh and why", async () => {
    const { service } = setup({
      onExec: (code) =>
        code === "oom"
          ? [{ header: { t: "done", status: "killed", signal: 9, kernelDied: true } }]
          : [{ header: { t: "done", status: "ok" } }],
    });
    await service.run({ code: "a = 1", session: "s" });
    const killed = await service.run({ code: "oom", session: "s" });
    expect(killed.status).toBe("killed");
    expect(killed.error).toBe(
      'the Python process was killed (SIGKILL): most likely it exceeded the memory limit (512m). Session "s" lost its state (killed): the next call in it starts fresh.',
    );
    const next = await service.run({ code: "a", session: "s" });
    expect(next.notice).toBe(
      'session "s" starts fresh: the call before was killed, most likely for exceeding the memory limit (512m); variables, imports and files from earlier calls are gone',
    );
    expect((await service.run({ code: "a", session: "s" })).notice).toBeUndefined();
    // A pool call never speaks of sessions.
    const pool = await service.run({ code: "oom" });
    expect(pool.error).not.toContain("Session");
    await service.shutdown();
  });

  test("idle expiry: the next call says the session expired", async () => {
    const { service } = setup({}, { MCP_BRIDGE_IDLE_TIMEOUT: "50ms" });
    await service.run({ code: "a = 1", session: "idle" });
    await Bun.sleep(150);
    const next = await service.run({ code: "a", session: "idle" });
    expect(next.notice).toBe(
      'session "idle" starts fresh: it was idle for 50ms (MCP_BRIDGE_IDLE_TIMEOUT) and its container was removed; variables, imports and files from earlier calls are gone',
    );
    await service.shutdown();
  });
});
