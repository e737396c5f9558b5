import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_CONFIG_BYTES, nodeDiscoveryFs } from "../../../src/upstream/discovery/node-fs.ts";
import { tempDir } from "../../support/bridge.ts";

const dir = tempDir("bridge-discovery-fs-");
afterAll(dir.cleanup);
const at = (name: string) => join(dir.path, name);

describe("nodeDiscoveryFs", () => {
  test("missing files and directories read as undefined; missing directories list as []", async () => {
    mkdirSync(at("sub"));
    expect(await nodeDiscoveryFs.readFile(at("none.json"))).toBeUndefined();
    expect(await nodeDiscoveryFs.readFile(at("none/x.json"))).toBeUndefined();
    expect(await nodeDiscoveryFs.readFile(at("sub"))).toBeUndefined();
    expect(await nodeDiscoveryFs.listDir(at("nodir"))).toEqual([]);
  });

  test("reads and lists real files", async () => {
    writeFileSync(at("sub/a.json"), "{}");
    expect(await nodeDiscoveryFs.readFile(at("sub/a.json"))).toBe("{}");
    expect(await nodeDiscoveryFs.listDir(at("sub"))).toEqual(["a.json"]);
  });

  test("a file over the size limit is refused with its size", async () => {
    writeFileSync(at("big.json"), Buffer.alloc(MAX_CONFIG_BYTES + 1, 32));
    await expect(nodeDiscoveryFs.readFile(at("big.json"))).rejects.toThrow("larger than");
  });

  test("a FIFO is refused instead of blocking", async () => {
    const r = Bun.spawnSync(["mkfifo", at("fifo.json")]);
    if (r.exitCode !== 0) return;
    await expect(nodeDiscoveryFs.readFile(at("fifo.json"))).rejects.toThrow("not a regular file");
  });

  test("isExecutable: regular files with the x bit only", async () => {
    writeFileSync(at("tool"), "#!/bin/sh\n");
    writeFileSync(at("data"), "x");
    chmodSync(at("tool"), 0o755);
    chmodSync(at("data"), 0o644);
    symlinkSync(at("tool"), at("link"));
    expect(await nodeDiscoveryFs.isExecutable(at("tool"))).toBe(true);
    expect(await nodeDiscoveryFs.isExecutable(at("link"))).toBe(true);
    expect(await nodeDiscoveryFs.isExecutable(at("data"))).toBe(false);
    expect(await nodeDiscoveryFs.isExecutable(at("sub"))).toBe(false);
    expect(await nodeDiscoveryFs.isExecutable(at("missing"))).toBe(false);
  });
});
