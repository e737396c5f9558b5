/** SandboxService logic with a fake engine: pool use, timeouts, crun fallback, output capping, host errors. */
import { describe, expect, test } from "bun:test";
import { createConsola } from "consola";
import { loadConfig } from "../../../src/config/index.ts";
import type { EngineDeps } from "../../../src/sandbox/engine.ts";
import { SandboxService } from "../../../src/sandbox/service.ts";
import { makePng } from "../../support/png.ts";
import { doneFrame, fakeSpawn, type FakeBehaviour } from "../../support/sandbox-fake.ts";

function setup(behaviour: FakeBehaviour, env: Record<string, string> = {}, which: string[] = ["podman", "runc"]) {
  const config = loadConfig({
    env: { BRIDGE_ROOT: "/nonexistent", MCP_BRIDGE_POOL_SIZE: "1", ...env },
    readFile: () => undefined,
  });
  const execs: string[][] = [];
  let fake: ReturnType<typeof fakeSpawn> | undefined;
  const engine: EngineDeps = {
    which: (c) => (which.includes(c) ? `/usr/bin/${c}` : null),
    exec: async (argv) => {
      execs.push(argv);
      if (argv[1] === "kill") fake?.kill(argv.slice(4));
      return { exitCode: 0, stdout: argv[1] === "version" ? "4.3.1" : "false", stderr: "" };
    },
    env: {},
    platform: "linux",
    readFile: () => undefined,
  };
  const warnings: string[] = [];
  const log = createConsola({
    level: 1,
    reporters: [
      {
        log: (o) => {
          warnings.push(o.args.join(" "));
        },
      },
    ],
  });
  fake = fakeSpawn(behaviour);
  const service = new SandboxService(config, { engine, log, extensions: [], spawn: fake.spawn, pid: 4242 });
  return { service, fake: fake!, execs, warnings };
}

describe("SandboxService (fake engine)", () => {
  test("maps done frames to outcomes and streams output", async () => {
    const { service } = setup({
      onExec: (code) => [{ header: { t: "out" }, body: `ran ${code}\n` }, doneFrame({ status: "ok", value: "3" })],
    });
    const streamed: string[] = [];
    const r = await service.run({ code: "1+2", onOutput: (t) => streamed.push(t) });
    expect(r).toMatchObject({ status: "ok", value: "3", output: { text: "ran 1+2\n", truncated: false } });
    expect(streamed.join("")).toBe("ran 1+2\n");
    await service.shutdown();
  });

  test("MCP_BRIDGE_RECYCLE=false: each call uses a fresh container; the used one is released", async () => {
    const { service, fake } = setup({}, { MCP_BRIDGE_RECYCLE: "false" });
    await service.run({ code: "a" });
    await service.run({ code: "b" });
    const names = fake.argvs.map((a) => a[a.indexOf("--name") + 1]);
    expect(new Set(names).size).toBe(names.length);
    expect(fake.argvs.length).toBeGreaterThanOrEqual(2);
    await service.shutdown();
  });

  test("recycling: a healthy container is reset and serves the next call; a timed-out one is not", async () => {
    const { service, fake } = setup({
      onExec: (code) => (code === "hang" ? "hang" : [{ header: { t: "done", status: "ok" } }]),
    });
    service.warm();
    await Bun.sleep(20);
    for (const code of ["a", "b", "c"]) expect((await service.run({ code })).status).toBe("ok");
    expect(fake.argvs.length).toBe(1);
    expect(fake.resets()).toBe(3);
    expect((await service.run({ code: "hang", timeoutMs: 30 })).status).toBe("timeout");
    expect(fake.resets()).toBe(3);
    await Bun.sleep(20); // the replacement container starts
    expect((await service.run({ code: "d" })).status).toBe("ok");
    expect(fake.argvs.length).toBe(2);
    await service.shutdown();
  });

  test("a burst of 8 concurrent calls reuses freed containers instead of starting 8", async () => {
    const { service, fake } = setup({ startDelayMs: 400 }, { MCP_BRIDGE_POOL_SIZE: "2" });
    service.warm();
    await Bun.sleep(600);
    const t = Date.now();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => service.run({ code: String(i) })));
    expect(results.every((r) => r.status === "ok")).toBe(true);
    expect(Date.now() - t).toBeLessThan(400); // no call waited for a start
    expect(fake.argvs.length).toBe(2);
    await service.shutdown();
  });

  test("timeout kills the container (podman: kill, then run --rm removes it) and keeps partial output", async () => {
    const { service, execs, fake } = setup({ onExec: () => "hang" });
    const r = await service.run({ code: "x", timeoutMs: 50 });
    expect(r.status).toBe("timeout");
    expect(r.error).toContain("timed out after 50ms");
    expect(execs.some((a) => a[1] === "kill" && a.includes("KILL"))).toBe(true);
    expect(execs.some((a) => a[1] === "rm")).toBe(false); // gone after the kill: no racing rm -f
    expect(fake.alive()).toBe(1); // only the pool's replacement
    await service.shutdown();
  });

  test("a container that survives the kill is force-removed", async () => {
    const { service, execs } = setup({ onExec: () => "hang", ignoreStdinClose: true });
    // An engine whose kill does nothing.
    (service as unknown as { deps: { engine: EngineDeps } }).deps.engine.exec = async (argv: string[]) => {
      execs.push(argv);
      return { exitCode: 0, stdout: argv[1] === "version" ? "4.3.1" : "false", stderr: "" };
    };
    const t = Date.now();
    const r = await service.run({ code: "x", timeoutMs: 50 });
    expect(r.status).toBe("timeout");
    expect(execs.some((a) => a[1] === "rm" && a.includes("-f"))).toBe(true);
    expect(Date.now() - t).toBeLessThan(10_000);
    await service.shutdown();
  }, 20_000);

  test("timeouts are capped at MCP_BRIDGE_MAX_TIMEOUT", async () => {
    const { service } = setup(
      { onExec: () => "hang" },
      { MCP_BRIDGE_MAX_TIMEOUT: "100ms", MCP_BRIDGE_TIMEOUT: "100ms" },
    );
    const t = Date.now();
    const r = await service.run({ code: "x", timeoutMs: 60_000 });
    expect(r.status).toBe("timeout");
    expect(Date.now() - t).toBeLessThan(5000);
    await service.shutdown();
  });

  test("cancellation ends the run with status cancelled", async () => {
    const { service } = setup({ onExec: () => "hang" });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const r = await service.run({ code: "x", signal: ac.signal });
    expect(r.status).toBe("cancelled");
    await service.shutdown();
  });

  test("a SIGKILLed kernel is reported as killed, naming the memory limit", async () => {
    const { service } = setup({
      onExec: () => [{ header: { t: "done", status: "killed", signal: 9, kernelDied: true } }],
    });
    const r = await service.run({ code: "x" });
    expect(r.status).toBe("killed");
    expect(r.error).toContain("memory limit (512m)");
    await service.shutdown();
  });

  test("crun's hybrid-cgroup failure → retried with runc, remembered, and a warning names the setting", async () => {
    const crun =
      "Error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2: OCI runtime error";
    const { service, fake, warnings } = setup(
      { failStart: (argv) => (argv.includes("--runtime") ? undefined : { stderr: crun, code: 126 }) },
      { MCP_BRIDGE_POOL_SIZE: "0", MCP_BRIDGE_RECYCLE: "false" },
    );
    expect((await service.run({ code: "a" })).status).toBe("ok");
    expect((await service.run({ code: "b" })).status).toBe("ok");
    expect(fake.argvs.map((a) => a.includes("--runtime"))).toEqual([false, true, true]);
    expect(warnings.join("\n")).toContain("MCP_BRIDGE_OCI_RUNTIME=runc");
    await service.shutdown();
  });

  test("concurrent starts that all hit the crun failure all retry with runc; one warning", async () => {
    const crun =
      "Error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2: OCI runtime error";
    const { service, fake, warnings } = setup(
      { startDelayMs: 20, failStart: (argv) => (argv.includes("--runtime") ? undefined : { stderr: crun, code: 126 }) },
      { MCP_BRIDGE_POOL_SIZE: "0", MCP_BRIDGE_RECYCLE: "false" },
    );
    const results = await Promise.all([1, 2, 3].map((i) => service.run({ code: String(i) })));
    expect(results.map((r) => r.status)).toEqual(["ok", "ok", "ok"]);
    expect(fake.argvs.filter((a) => a.includes("--runtime")).length).toBe(3);
    expect(warnings.filter((w) => w.includes("MCP_BRIDGE_OCI_RUNTIME=runc")).length).toBe(1);
    await service.shutdown();
  });

  test("start failures are reported with the engine's message and a hint", async () => {
    const { service } = setup(
      { failStart: () => ({ stderr: "Error: setrlimit RLIMIT_NOFILE: Operation not permitted", code: 126 }) },
      { MCP_BRIDGE_POOL_SIZE: "0" },
    );
    const err = await service.run({ code: "a" }).catch((e) => e);
    expect(err.code).toBe("SANDBOX_FAILED");
    expect(err.message).toContain("setrlimit RLIMIT_NOFILE");
    expect(err.hint).toContain("bridge doctor");
    await service.shutdown();
  });

  test("images beyond the per-call limit are dropped with a note", async () => {
    const png = makePng(4, 4, 300 * 1024);
    const { service } = setup({
      onExec: () => [
        ...Array.from({ length: 10 }, () => ({ header: { t: "image" }, body: png })),
        { header: { t: "done", status: "ok" } },
      ],
    });
    const r = await service.run({ code: "x" });
    expect(r.images.length).toBeLessThan(10);
    expect(r.output.text).toContain("image dropped: at most 16 images and 2.0 MiB of images per call");
    await service.shutdown();
  });

  test("output over the cap is cut with a note", async () => {
    const { service } = setup(
      { onExec: () => [{ header: { t: "out" }, body: "y".repeat(5000) }, { header: { t: "done", status: "ok" } }] },
      { MCP_BRIDGE_MAX_OUTPUT: "1k" },
    );
    const r = await service.run({ code: "x" });
    expect(r.output.truncated).toBe(true);
    expect(r.output.totalBytes).toBe(5000);
    await service.shutdown();
  });

  test("sessions reuse one container; invalid names are rejected", async () => {
    const { service, fake } = setup({}, { MCP_BRIDGE_POOL_SIZE: "0" });
    await service.run({ code: "a", session: "s1" });
    await service.run({ code: "b", session: "s1" });
    expect(fake.argvs.length).toBe(1);
    for (const bad of ["", "../x", "a b", "x".repeat(65), "é"]) {
      await expect(service.run({ code: "c", session: bad })).rejects.toThrow(/invalid session name/);
    }
    await service.shutdown();
  });

  test("a queued session call is not cut off by the idle timer of the call before it", async () => {
    const { service, fake } = setup(
      { execDelayMs: (code) => Number(code) },
      { MCP_BRIDGE_POOL_SIZE: "0", MCP_BRIDGE_IDLE_TIMEOUT: "50ms" },
    );
    const [a, b] = await Promise.all([
      service.run({ code: "100", session: "s" }),
      service.run({ code: "200", session: "s" }),
    ]);
    expect(a.status).toBe("ok");
    expect(b.status).toBe("ok");
    expect(fake.argvs.length).toBe(1);
    await service.shutdown();
  });

  test("shutdown: containers end when their channel closes; stuck ones are force-removed by name", async () => {
    const polite = setup({}, { MCP_BRIDGE_POOL_SIZE: "2" });
    polite.service.warm();
    await Bun.sleep(50);
    await polite.service.shutdown();
    expect(polite.fake.alive()).toBe(0);
    expect(polite.execs.some((a) => a[1] === "rm")).toBe(false);

    const stuck = setup({ ignoreStdinClose: true }, { MCP_BRIDGE_POOL_SIZE: "2" });
    stuck.service.warm();
    await Bun.sleep(50);
    const t = Date.now();
    await stuck.service.shutdown();
    expect(Date.now() - t).toBeLessThan(1000);
    const rm = stuck.execs.find((a) => a[1] === "rm")!;
    expect(rm.filter((a) => a.startsWith("bridge-4242-")).length).toBe(2);
  });
});
