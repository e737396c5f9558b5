/** The bridge version: injected by `scripts/build.ts` at compile time, else read from package.json. */
import pkg from "../package.json" with { type: "json" };

declare const BRIDGE_VERSION: string | undefined;

export const VERSION: string = typeof BRIDGE_VERSION === "string" ? BRIDGE_VERSION : `${pkg.version}-dev`;
