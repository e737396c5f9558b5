/**
 * `bridge image build`'s recipe: the registry build's Containerfile and engine arguments (no
 * registry is reachable here, so these are what tests can check), the Debian package mapping, the
 * apt source detection of the offline build, and the recipe stamp.
 */
import { describe, expect, test } from "bun:test";
import { isBridgeError } from "../../../src/errors.ts";
import { aptSource, debootstrapArgv, importArgv, offlineBlocker } from "../../../src/sandbox/image/offline.ts";
import {
  containerfile,
  debianPackages,
  defaultTag,
  parseAdd,
  pipPackages,
  recipeStamp,
  REGISTRY_BASE,
} from "../../../src/sandbox/image/recipe.ts";
import { pipBuildArgs, registryBuildArgv } from "../../../src/sandbox/image/registry.ts";
import { missingModuleHint } from "../../../src/sandbox/image/hint.ts";

const ds = { preset: "datascience" as const, add: [] };

describe("registry build", () => {
  test("the Containerfile: slim Python base, pip packages quoted, font cache prebuilt, /workspace, the recipe stamp", () => {
    const text = containerfile({ preset: "datascience", add: ["statsmodels", "polars==1.9"] });
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe(`FROM ${REGISTRY_BASE}`);
    expect(REGISTRY_BASE).toMatch(/^docker\.io\/library\/python:3\.\d+-slim$/);
    expect(lines[1]).toBe(
      "RUN pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore 'numpy' 'pandas' 'matplotlib' 'scipy' 'scikit-learn' 'statsmodels' 'polars==1.9'",
    );
    expect(lines[2]).toContain(
      "MPLCONFIGDIR=/etc/bridge/matplotlib python3 -c 'import matplotlib; matplotlib.use('\\''Agg'\\'')",
    );
    expect(lines[2]).toContain("printf 'backend: Agg\\n' > /etc/bridge/matplotlib/matplotlibrc");
    expect(lines).toContain("WORKDIR /workspace");
    expect(text).toMatch(
      /\nENV BRIDGE_IMAGE_PRESET=datascience\+statsmodels\+polars==1\.9 BRIDGE_IMAGE_RECIPE=[0-9a-f]{12}\n/,
    );
    expect(lines.at(-1)).toBe('CMD ["python3"]');
  });

  test("minimal: no pip step, no matplotlib step; pip index settings from the host become ARGs and --build-arg", () => {
    const text = containerfile({ preset: "minimal", add: [] }, REGISTRY_BASE, ["PIP_INDEX_URL"]);
    expect(text).not.toContain("pip install");
    expect(text).not.toContain("matplotlib");
    expect(text.split("\n")[1]).toBe("ARG PIP_INDEX_URL");
    expect(pipBuildArgs({ PIP_INDEX_URL: "https://pypi.corp/simple", PIP_TRUSTED_HOST: "", HOME: "/x" })).toEqual({
      PIP_INDEX_URL: "https://pypi.corp/simple",
    });
  });

  test("engine arguments: podman's runtime is a global flag, rlimits are explicit, build args passed", () => {
    const rl = { nofile: 4096, nproc: 2048 };
    expect(
      registryBuildArgv(
        { name: "podman", binary: "/usr/bin/podman", ociRuntime: "runc" },
        "localhost/x:1",
        "/tmp/ctx",
        rl,
        { PIP_INDEX_URL: "u" },
      ),
    ).toEqual([
      "/usr/bin/podman",
      "--runtime",
      "runc",
      "build",
      "--ulimit",
      "nofile=4096:4096",
      "--ulimit",
      "nproc=2048:2048",
      "--build-arg",
      "PIP_INDEX_URL=u",
      "-t",
      "localhost/x:1",
      "-f",
      "/tmp/ctx/Containerfile",
      "/tmp/ctx",
    ]);
    expect(registryBuildArgv({ name: "docker", binary: "docker" }, "t", "/c", rl)).toEqual([
      "docker",
      "build",
      "--ulimit",
      "nofile=4096:4096",
      "--ulimit",
      "nproc=2048:2048",
      "-t",
      "t",
      "-f",
      "/c/Containerfile",
      "/c",
    ]);
  });
});

describe("packages", () => {
  test("pip and Debian names of a preset and --add", () => {
    expect(pipPackages(ds)).toEqual(["numpy", "pandas", "matplotlib", "scipy", "scikit-learn"]);
    expect(debianPackages(ds)).toEqual([
      "python3",
      "ca-certificates",
      "python3-numpy",
      "python3-pandas",
      "python3-matplotlib",
      "python3-scipy",
      "python3-sklearn",
    ]);
    expect(
      debianPackages({
        preset: "minimal",
        add: ["matplotlib", "scikit-learn", "statsmodels", "python3-yaml", "fonts-noto", "Py_Thing"],
      }),
    ).toEqual([
      "python3",
      "ca-certificates",
      "python3-matplotlib",
      "python3-sklearn",
      "python3-statsmodels",
      "python3-yaml",
      "fonts-noto",
      "python3-py-thing",
    ]);
  });

  test("versions cannot be pinned offline; names that could inject anything are refused", () => {
    expect(() => debianPackages({ preset: "minimal", add: ["numpy==1.0"] })).toThrow(
      /versions and extras cannot be chosen in an offline build/,
    );
    expect(parseAdd(["a,b", "b", " c "])).toEqual(["a", "b", "c"]);
    for (const bad of ["x;rm -rf /", "$(id)", "a b", "-e git+https://x", "'q'"]) {
      const err = (() => {
        try {
          parseAdd([bad]);
        } catch (e) {
          return e;
        }
      })();
      expect(isBridgeError(err, "USAGE"), bad).toBe(true);
    }
  });

  test("default tags", () => {
    expect(defaultTag("minimal")).toBe("localhost/bridge-python:latest");
    expect(defaultTag("datascience")).toBe("localhost/bridge-datascience:latest");
  });

  test("the stamp changes with what is installed and where it comes from, not with the order of calls", () => {
    const deb = { kind: "debian" as const, suite: "bookworm", mirror: "http://deb.debian.org/debian" };
    expect(recipeStamp(ds, deb)).toBe(recipeStamp({ preset: "datascience", add: [] }, deb));
    expect(recipeStamp(ds, deb)).not.toBe(recipeStamp({ preset: "datascience", add: ["x"] }, deb));
    expect(recipeStamp(ds, deb)).not.toBe(recipeStamp(ds, { ...deb, suite: "trixie" }));
    expect(recipeStamp(ds, deb)).not.toBe(recipeStamp(ds, { kind: "registry", base: REGISTRY_BASE }));
  });
});

describe("offline build", () => {
  test("apt sources: deb822 and one-line files, security/updates and disabled entries skipped", () => {
    const deb822 =
      "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n\nTypes: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\nComponents: main contrib\n";
    expect(aptSource([{ path: "/etc/apt/sources.list.d/debian.sources", text: deb822 }])).toEqual({
      kind: "debian",
      suite: "bookworm",
      mirror: "http://mirror.example/debian",
      components: ["main", "contrib"],
    });
    const ubuntu =
      "# comment\ndeb [arch=amd64] http://archive.ubuntu.com/ubuntu noble main restricted universe\ndeb http://security.ubuntu.com/ubuntu noble-security main\n";
    expect(aptSource([{ path: "/etc/apt/sources.list.list", text: ubuntu }])).toEqual({
      kind: "debian",
      suite: "noble",
      mirror: "http://archive.ubuntu.com/ubuntu",
      components: ["main", "restricted", "universe"],
    });
    expect(
      aptSource([
        { path: "/x.sources", text: "Enabled: no\nTypes: deb\nURIs: http://a/\nSuites: x\n" },
        { path: "/y.disabled", text: "deb http://b/ y main" },
      ]),
    ).toEqual({ kind: "debian", suite: "bookworm", mirror: "http://deb.debian.org/debian", components: ["main"] });
  });

  test("debootstrap and import command lines", () => {
    const src = {
      kind: "debian" as const,
      suite: "noble",
      mirror: "http://archive.ubuntu.com/ubuntu",
      components: ["main", "universe"],
    };
    expect(debootstrapArgv(ds, src, "/var/tmp/r")).toEqual([
      "debootstrap",
      "--variant=minbase",
      "--include=python3,ca-certificates,python3-numpy,python3-pandas,python3-matplotlib,python3-scipy,python3-sklearn",
      "--components=main,universe",
      "noble",
      "/var/tmp/r",
      "http://archive.ubuntu.com/ubuntu",
    ]);
    expect(importArgv("docker", "/c/r.tar", "t:1", { A: "1" })).toEqual([
      "docker",
      "import",
      "--change",
      'CMD ["python3"]',
      "--change",
      "WORKDIR /workspace",
      "--change",
      "ENV A=1",
      "/c/r.tar",
      "t:1",
    ]);
  });

  test("what stops an offline build is said plainly", () => {
    const which = (c: string) => (c === "debootstrap" ? "/usr/sbin/debootstrap" : null);
    expect(offlineBlocker({ uid: 0, platform: "linux", which }, "podman", false)).toBeUndefined();
    expect(offlineBlocker({ uid: 1000, platform: "linux", which }, "podman", false)).toContain(
      "needs root: run it with sudo",
    );
    expect(offlineBlocker({ uid: 0, platform: "darwin", which }, "docker", true)).toContain("needs Linux");
    expect(offlineBlocker({ uid: 0, platform: "linux", which: () => null }, "docker", false)).toContain(
      "apt-get install debootstrap",
    );
  });
});

test("a ModuleNotFoundError of a data-science module names the build command; others get no hint", () => {
  const tb = (m: string) =>
    `Traceback (most recent call last):\n  File "<cell>", line 1, in <module>\nModuleNotFoundError: No module named '${m}'\n`;
  expect(missingModuleHint(tb("pandas"), "python:3.14-slim")).toContain("image build --preset datascience --use`");
  expect(missingModuleHint(tb("sklearn.linear_model"), "img")).toContain("--preset datascience --use");
  expect(missingModuleHint(tb("statsmodels.api"), "img")).toContain("--add statsmodels --use");
  expect(missingModuleHint(tb("PIL"), "img")).toContain("--add pillow");
  expect(missingModuleHint(tb("my_typo"), "img")).toBeUndefined();
  expect(missingModuleHint("ValueError: No module named 'pandas'", "img")).toBeUndefined();
});
