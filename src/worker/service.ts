/**
 * `bridge worker --install-service`: a systemd user unit (Linux) or a launchd agent (macOS) that
 * starts this binary's worker at login. Rendering is pure; writing is one small step on top.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { BridgeError } from "../errors.ts";

export interface ServiceSpec {
  platform: NodeJS.Platform;
  home: string;
  /** The command: absolute binary path (plus the script path when run through bun), then worker args. */
  argv: string[];
  env: Record<string, string>;
  logFile: string;
}

export interface RenderedService {
  path: string;
  content: string;
  /** The command(s) that enable and start it. */
  enable: string;
}

/** The program to run: the compiled binary itself, or `bun <cli.ts>` in a source checkout. */
export function selfCommand(execPath = process.execPath, script = process.argv[1]): string[] {
  const isBun = /^bun(\.exe)?$/.test(basename(execPath));
  return isBun && script && !script.startsWith("/$bunfs") ? [execPath, resolve(script)] : [execPath];
}

const systemdQuote = (s: string) =>
  /^[\w@%+=:,./-]+$/.test(s)
    ? s.replace(/%/g, "%%")
    : `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;
const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Renders the unit or plist for a platform. Throws USAGE on unsupported platforms. */
export function renderService(spec: ServiceSpec): RenderedService {
  if (spec.platform === "linux") {
    const envLines = Object.entries(spec.env).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`);
    const content = [
      "[Unit]",
      "Description=bridge worker (runs queued escalate_to_claude and run_script jobs)",
      "",
      "[Service]",
      "Type=simple",
      `ExecStart=${spec.argv.map(systemdQuote).join(" ")}`,
      ...envLines,
      "Restart=on-failure",
      "RestartSec=5",
      "KillSignal=SIGTERM",
      // Lets the worker put each job in a child cgroup of its own, so timeout and cancel reach every process a job started.
      "Delegate=yes",
      "TimeoutStopSec=90",
      "",
      "[Install]",
      "WantedBy=default.target",
      "",
    ].join("\n");
    const path = join(spec.home, ".config", "systemd", "user", "bridge-worker.service");
    return {
      path,
      content,
      enable: "systemctl --user daemon-reload && systemctl --user enable --now bridge-worker.service",
    };
  }
  if (spec.platform === "darwin") {
    const label = "dev.bridge.worker";
    const path = join(spec.home, "Library", "LaunchAgents", `${label}.plist`);
    const content = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
      '<plist version="1.0">',
      "<dict>",
      `  <key>Label</key><string>${label}</string>`,
      "  <key>ProgramArguments</key>",
      "  <array>",
      ...spec.argv.map((a) => `    <string>${xml(a)}</string>`),
      "  </array>",
      "  <key>EnvironmentVariables</key>",
      "  <dict>",
      ...Object.entries(spec.env).map(([k, v]) => `    <key>${xml(k)}</key><string>${xml(v)}</string>`),
      "  </dict>",
      "  <key>RunAtLoad</key><true/>",
      "  <key>KeepAlive</key><true/>",
      `  <key>StandardErrorPath</key><string>${xml(spec.logFile)}</string>`,
      "</dict>",
      "</plist>",
      "",
    ].join("\n");
    return { path, content, enable: `launchctl bootstrap gui/$(id -u) ${path}` };
  }
  throw new BridgeError(
    "USAGE",
    `--install-service supports Linux (systemd) and macOS (launchd), not ${spec.platform}.`,
    {
      hint: "Start `bridge worker` from your session's autostart mechanism instead.",
    },
  );
}

/** Writes the rendered file (creating its directory). */
export function writeService(rendered: RenderedService): void {
  mkdirSync(dirname(rendered.path), { recursive: true });
  writeFileSync(rendered.path, rendered.content, { mode: 0o644 });
}
