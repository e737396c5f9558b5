/** Binary entry point. citty decides on colours when it loads, so plain output is settled first. */
if (!process.stdout.isTTY && process.env.NO_COLOR === undefined) process.env.NO_COLOR = "1";
const { cli } = await import("./cli.ts");
await cli(process.argv.slice(2));
export {};
