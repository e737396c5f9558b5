/** Finding the id of a message too large to parse, from its first and last bytes. */
import { describe, expect, test } from "bun:test";
import { idFromHead, idFromTail, requestIdOf } from "../../../src/mcp/jsonrpc-id.ts";

describe("requestIdOf", () => {
  test("id first (Python SDK order), number or string, with whitespace", () => {
    expect(idFromHead('{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"x":"')).toBe(12);
    expect(idFromHead('{ "jsonrpc" : "2.0" , "id" : "a\\"b" , "method"')).toBe('a"b');
  });
  test("an id inside params or inside a string is not the message's id", () => {
    expect(idFromHead('{"jsonrpc":"2.0","method":"tools/call","params":{"id":5,"code":"')).toBeUndefined();
    expect(idFromHead('{"method":"x","params":{"code":"\\",\\"id\\":3')).toBeUndefined();
  });
  test("id last (TypeScript SDK order)", () => {
    expect(idFromTail('aaaa"}},"jsonrpc":"2.0","id":41}')).toBe(41);
    expect(idFromTail('aaaa"}},"jsonrpc":"2.0","id":"x\\"y" }\r')).toBe('x"y');
    expect(idFromTail('aaa"},"id":-3.5}')).toBe(-3.5);
  });
  test("a last member that is not a scalar id gives nothing", () => {
    expect(idFromTail('aaaa"}},"params":{"id":41}}')).toBeUndefined();
    expect(idFromTail('aaaa","xid":41}')).toBeUndefined();
    expect(idFromTail("aaaa")).toBeUndefined();
  });
  test("head wins, tail is the fallback", () => {
    expect(requestIdOf('{"id":1,"method":"a"', ',"id":2}')).toBe(1);
    expect(requestIdOf('{"method":"a","params":{"', ',"id":2}')).toBe(2);
    expect(requestIdOf("garbage", "garbage")).toBeUndefined();
  });
});
