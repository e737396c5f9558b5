/**
 * The next step for a run that failed on a missing data-science module: a ModuleNotFoundError for
 * numpy, pandas & co. names the command that builds an image with it (the sandbox has no network,
 * so `pip install` cannot be the answer).
 */
import { selfCommand } from "../../self.ts";
import { DATASCIENCE } from "./recipe.ts";

/** Modules people reach for in data work, with their pip names when those differ. */
const KNOWN: Record<string, string> = {
  ...Object.fromEntries(DATASCIENCE.map((p) => [p.module, p.pip])),
  seaborn: "seaborn",
  statsmodels: "statsmodels",
  polars: "polars",
  pyarrow: "pyarrow",
  openpyxl: "openpyxl",
  xlrd: "xlrd",
  PIL: "pillow",
  sympy: "sympy",
  networkx: "networkx",
  plotly: "plotly",
  bs4: "beautifulsoup4",
  lxml: "lxml",
  yaml: "pyyaml",
  tabulate: "tabulate",
  duckdb: "duckdb",
  shapely: "shapely",
  skimage: "scikit-image",
};
const PRESET_MODULES = new Set(DATASCIENCE.map((p) => p.module));

/** A line to append to a traceback whose exception is a ModuleNotFoundError of a known data-science module, else undefined. */
export function missingModuleHint(traceback: string, image: string): string | undefined {
  const m = traceback.match(/ModuleNotFoundError: No module named '([A-Za-z_][\w]*)(?:\.[\w.]*)?'\s*$/);
  const module = m?.[1];
  if (!module || !(module in KNOWN)) return undefined;
  const build = PRESET_MODULES.has(module)
    ? "image build --preset datascience --use"
    : `image build --preset datascience --add ${KNOWN[module]} --use`;
  return `→ ${module} is not in the sandbox image (${image}) and the sandbox has no network for pip: the user can build one with it, \`${selfCommand()} ${build}\`, then restart the MCP client.`;
}
