/**
 * Where a JSON syntax error is, in words for people: the 1-based line and column of an offset, and
 * jsonc-parser's error code as lower-case words ("PropertyNameExpected" → "property name expected").
 * Shared by bridge's own config.json (load.ts) and client config files (upstream/discovery/parse-file.ts).
 */
import { type ParseErrorCode, printParseErrorCode } from "jsonc-parser";

/** 1-based line and column of a character offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** A jsonc-parser error code as lower-case words. */
export function parseErrorWords(code: ParseErrorCode): string {
  return printParseErrorCode(code)
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
}
