import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { DOC_PATH, refreshDoc } from "../../../scripts/config-docs.ts";
import { SETTINGS } from "../../../src/config/schema.ts";

test("docs/configuration.md lists every setting exactly as the code defines it", () => {
  const text = readFileSync(DOC_PATH, "utf8");
  expect(text, "run `bun scripts/config-docs.ts --write`").toBe(refreshDoc(text));
  for (const s of Object.values(SETTINGS)) expect(text).toContain(`\`${s.env}\``);
});
