import { describe, expect, test } from "bun:test";
import { Bm25Index, tokenize } from "../../../src/upstream/bm25.ts";

describe("tokenize", () => {
  test("splits camelCase, snake_case, kebab-case and stems plurals", () => {
    expect(tokenize("readTextFile")).toEqual(["read", "text", "file"]);
    expect(tokenize("list_directory_with_sizes")).toEqual(["list", "directory", "size"]);
    expect(tokenize("get-resource-links")).toEqual(["get", "resource", "link"]);
    expect(tokenize("HTTPServer files")).toEqual(["http", "server", "file"]);
  });
  test("drops stopwords and punctuation", () => {
    expect(tokenize("Read the contents of a file.")).toEqual(["read", "content", "file"]);
  });
});

const docs = [
  {
    ref: "fs.read_text_file",
    name: "read_text_file",
    params: ["path", "head", "tail"],
    description: "Read the complete contents of a file from the file system as text.",
  },
  {
    ref: "fs.write_file",
    name: "write_file",
    params: ["path", "content"],
    description: "Create a new file or overwrite an existing file.",
  },
  {
    ref: "fs.list_directory",
    name: "list_directory",
    params: ["path"],
    description: "Get a detailed listing of all files and directories in a path.",
  },
  {
    ref: "mem.search_nodes",
    name: "search_nodes",
    params: ["query"],
    description: "Search for nodes in the knowledge graph based on a query",
  },
  { ref: "ev.get-sum", name: "get-sum", params: ["a", "b"], description: "Returns the sum of two numbers" },
  { ref: "ev.echo", name: "echo", params: ["message"], description: "Echoes back the input string" },
];

describe("Bm25Index", () => {
  const index = new Bm25Index(docs);
  test("ranks the tool whose name matches first", () => {
    expect(index.search("read file", 3)[0]!.ref).toBe("fs.read_text_file");
    expect(index.search("add two numbers sum", 3)[0]!.ref).toBe("ev.get-sum");
    expect(index.search("knowledge graph search", 3)[0]!.ref).toBe("mem.search_nodes");
    expect(index.search("echo message", 3)[0]!.ref).toBe("ev.echo");
  });
  test("name matches outrank description-only matches", () => {
    const hits = index.search("directory", 5).map((h) => h.ref);
    expect(hits[0]).toBe("fs.list_directory");
  });
  test("parameter names count", () => {
    expect(index.search("message", 2)[0]!.ref).toBe("ev.echo");
  });
  test("scores descend, limit applies, unrelated queries return nothing", () => {
    const hits = index.search("file", 2);
    expect(hits.length).toBe(2);
    expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
    expect(index.search("kubernetes pods", 5)).toEqual([]);
    expect(index.search("", 5)).toEqual([]);
    expect(index.search("the of a", 5)).toEqual([]);
  });
  test("empty index", () => {
    expect(new Bm25Index([]).search("file", 3)).toEqual([]);
  });
});
