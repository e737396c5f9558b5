/** Python sources and markdown are embedded as text: `import src from "./x.py" with { type: "text" }`. */
declare module "*.py" {
  const source: string;
  export default source;
}
declare module "*.md" {
  const text: string;
  export default text;
}
