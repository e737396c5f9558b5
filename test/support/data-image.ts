/**
 * The datascience test image (numpy, pandas, matplotlib, scipy, scikit-learn), built offline by
 * `dist/bridge image build` in scripts/test.sh, and whether an engine has it.
 */
import type { Engine } from "./sandbox-engines.ts";

/** Tag of the datascience image tests use. */
export const DATA_IMAGE = process.env.BRIDGE_TEST_DATA_IMAGE ?? "localhost/bridge-datascience:latest";

/** True when `engine` has DATA_IMAGE in its store. */
export function hasDataImage(engine: Engine): boolean {
  return (
    Bun.spawnSync([engine, "image", "inspect", "--format", "{{.Id}}", DATA_IMAGE], {
      stdout: "ignore",
      stderr: "ignore",
    }).exitCode === 0
  );
}
