/** Doctor check: bridge's root directory and queue secret exist with private permissions. */
import type { Check, CheckResult } from "../types.ts";

export const rootCheck: Check = async (deps) => {
  const { root, tokenFile, token } = deps.config;
  const results: CheckResult[] = [];
  const dir = deps.stat(root);
  if (!dir) {
    results.push({
      name: "bridge root",
      status: "warn",
      detail: `${root} does not exist yet`,
      fix: "run `bridge worker --init` to create it and the queue secret",
    });
    return results;
  }
  if (dir.isSymlink || !dir.isDirectory) {
    results.push({
      name: "bridge root",
      status: "fail",
      detail: `${root} is ${dir.isSymlink ? "a symlink" : "not a directory"}: refused`,
      fix: `make ${root} a real directory (or set BRIDGE_ROOT)`,
    });
  } else if ((dir.mode & 0o077) !== 0) {
    results.push({
      name: "bridge root",
      status: "warn",
      detail: `${root} is readable by others (mode ${(dir.mode & 0o777).toString(8)})`,
      fix: `chmod 700 ${root}`,
    });
  } else {
    results.push({ name: "bridge root", status: "ok", detail: root });
  }
  if (token) {
    results.push({ name: "queue secret", status: "ok", detail: "from BRIDGE_TOKEN" });
    return results;
  }
  const tok = deps.stat(tokenFile);
  if (!tok)
    results.push({
      name: "queue secret",
      status: "warn",
      detail: `${tokenFile} missing: escalate_to_claude and run_script cannot sign jobs`,
      fix: "run `bridge worker --init`",
    });
  else if (tok.isSymlink)
    results.push({
      name: "queue secret",
      status: "fail",
      detail: `${tokenFile} is a symlink: refused`,
      fix: `remove it and run \`bridge worker --init\``,
    });
  else if ((tok.mode & 0o077) !== 0)
    results.push({
      name: "queue secret",
      status: "fail",
      detail: `${tokenFile} is readable by others (mode ${(tok.mode & 0o777).toString(8)})`,
      fix: `chmod 600 ${tokenFile}`,
    });
  else results.push({ name: "queue secret", status: "ok", detail: tokenFile });
  return results;
};
