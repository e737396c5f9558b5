import { describe, expect, test } from "bun:test";
import { capRlimits, hostRlimits, parseHardLimits, WANTED_RLIMITS } from "../../../src/sandbox/rlimits.ts";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             96365                96365                processes
Max open files            1024                 20000                files
Max locked memory         8388608              8388608              bytes
`;

describe("rlimit capping", () => {
  test("parses hard limits from /proc/self/limits", () => {
    expect(parseHardLimits(LIMITS)).toEqual({ nofile: 20000, nproc: 96365 });
    expect(parseHardLimits(LIMITS.replace("96365                processes", "unlimited            processes"))).toEqual(
      { nofile: 20000, nproc: undefined },
    );
    expect(parseHardLimits("")).toEqual({ nofile: undefined, nproc: undefined });
  });

  test("never exceeds the host's hard limits", () => {
    expect(capRlimits({ nofile: 1000, nproc: 50 })).toEqual({ nofile: 1000, nproc: 50 });
    expect(capRlimits({ nofile: 20000, nproc: 96365 })).toEqual(WANTED_RLIMITS);
    expect(capRlimits({})).toEqual(WANTED_RLIMITS);
  });

  test("reads the local host; uses the modest defaults for remote engines", () => {
    const read = (text?: string) => ({ readFile: () => text });
    expect(hostRlimits(read(LIMITS.replace("20000", "512")), false)).toEqual({
      nofile: 512,
      nproc: WANTED_RLIMITS.nproc,
    });
    expect(hostRlimits(read(undefined), false)).toEqual(WANTED_RLIMITS);
    expect(hostRlimits(read(LIMITS.replace("20000", "512")), true)).toEqual(WANTED_RLIMITS);
  });
});
