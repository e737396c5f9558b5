/** `bridge doctor` on this machine: real engine, real image, a real hardened container. */
import { afterAll, describe, expect, test } from "bun:test";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";

const root = tempDir();
afterAll(root.cleanup);

async function doctor(env: Record<string, string>, args: string[] = ["--json"]) {
  const p = Bun.spawn([requireBinary(), "doctor", ...args], {
    env: bridgeEnv(root.path, env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
}

describe("bridge doctor", () => {
  test("reports a working engine, image and sandbox run", async () => {
    const r = await doctor({});
    expect(r.code, r.err).toBe(0);
    const results = JSON.parse(r.out) as Array<{ name: string; status: string; detail: string; fix?: string }>;
    const by = (name: string) => results.find((x) => x.name === name);
    expect(by("container engine")?.status).toBe("ok");
    expect(by("sandbox image")?.status).toBe("ok");
    expect(by("sandbox run")?.status).toBe("ok");
    expect(by("sandbox run")?.detail).toContain("uid 65534");
    expect(by("worker")?.status).toBe("warn");
    // The next step runs this binary, not iproute2's /usr/sbin/bridge that a bare `bridge` may find.
    expect(by("worker")?.fix).toContain(`\`${requireBinary()} worker\``);
  }, 120_000);

  test("a missing image fails with the pull command and the offline fallback", async () => {
    const r = await doctor({ MCP_BRIDGE_IMAGE: "localhost/bridge-no-such-image:0" }, []);
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ sandbox image");
    expect(r.out).toContain("pull localhost/bridge-no-such-image:0");
    expect(r.out).toContain("image build --use");
  }, 60_000);

  test("an invalid setting is a failed check, not a stop: the other checks run with the default and --json stays JSON", async () => {
    const r = await doctor({ MCP_BRIDGE_TIMEOUT: "forever" });
    expect(r.code).toBe(1);
    const results = JSON.parse(r.out) as Array<{ name: string; status: string; detail: string; fix?: string }>;
    const setting = results.find((x) => x.name === "settings")!;
    expect(setting.status).toBe("fail");
    expect(setting.detail).toContain('MCP_BRIDGE_TIMEOUT="forever"'); // the variable and the value
    expect(setting.detail).toContain("30s, 2m"); // what is accepted
    expect(setting.fix).toContain("MCP_BRIDGE_TIMEOUT");
    const run = results.find((x) => x.name === "sandbox run")!;
    expect(run.status).toBe("ok");
    expect(run.detail).toContain("timeout 30s"); // ran with the default
  }, 120_000);

  test("a missing engine says what is missing and what to do", async () => {
    // PATH alone no longer hides an engine (the usual install locations are searched too), so name one that does not exist.
    const r = await doctor({ MCP_BRIDGE_ENGINE: "/nonexistent/docker", PATH: "/nonexistent" }, []);
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ container engine");
    expect(r.out).toContain("MCP_BRIDGE_ENGINE is /nonexistent/docker, which is not an executable file");
    expect(r.out).toContain("Point it at podman or docker");
  }, 60_000);

  test("an engine found outside PATH is reported with where it was found, and checked as a GUI client would", async () => {
    const r = await doctor({ PATH: "/nonexistent" });
    const results = JSON.parse(r.out) as Array<{ name: string; status: string; detail: string }>;
    expect(results.find((x) => x.name === "container engine")?.detail).toMatch(/found outside PATH/);
    expect(results.find((x) => x.name === "engine for GUI clients")?.status).toBe("ok");
  }, 120_000);
});
