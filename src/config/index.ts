/** Configuration: one validated object built from defaults, the config file and the environment. */
export { loadConfig, validateConfig, configFilePath, type ConfigSources, type ConfigProblem } from "./load.ts";
export { SETTINGS, TOOL_GROUPS, type Config, type ToolGroup } from "./schema.ts";
export { parseDuration, parseSize, formatDuration, formatBytes } from "./units.ts";
