/**
 * Ranked search over tool documentation: BM25F over a tool's name (split on camelCase, snake_case,
 * kebab-case), its parameter names and its description. Pure: documents in, ranked hits out.
 */

/** A searchable document; fields are weighted name > params > description. */
export interface SearchDoc<T> {
  ref: T;
  name: string;
  params: string[];
  description: string;
}

export interface SearchHit<T> {
  ref: T;
  score: number;
}

const FIELD_WEIGHTS = { name: 3, params: 1.5, description: 1 } as const;
const K1 = 1.2;
const B = 0.75;
const STOPWORDS = new Set([
  "a",
  "an",
  "the",
  "of",
  "to",
  "and",
  "or",
  "in",
  "on",
  "for",
  "with",
  "by",
  "is",
  "it",
  "this",
  "that",
  "from",
  "as",
  "be",
  "are",
]);

/** Light stemming so "files"/"file" and "searching"/"search" meet. */
function stem(token: string): string {
  if (token.length > 5 && token.endsWith("ing")) return token.slice(0, -3);
  if (token.length > 4 && token.endsWith("ies")) return `${token.slice(0, -3)}y`;
  if (token.length > 4 && token.endsWith("es") && /(ss|x|ch|sh)es$/.test(token)) return token.slice(0, -2);
  if (token.length > 3 && token.endsWith("s") && !token.endsWith("ss")) return token.slice(0, -1);
  return token;
}

/** Splits text into lowercase search terms (camelCase, snake_case, kebab-case, punctuation). */
export function tokenize(text: string): string[] {
  const spaced = text.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
  const out: string[] = [];
  for (const raw of spaced.toLowerCase().split(/[^a-z0-9]+/)) {
    if (!raw || STOPWORDS.has(raw)) continue;
    out.push(stem(raw));
  }
  return out;
}

interface Indexed<T> {
  ref: T;
  tf: Map<string, number>;
  length: number;
}

/** Builds an index once; `search` can then be called many times. */
export class Bm25Index<T> {
  private readonly docs: Indexed<T>[] = [];
  private readonly df = new Map<string, number>();
  private avgLength = 0;

  constructor(docs: Iterable<SearchDoc<T>>) {
    let total = 0;
    for (const d of docs) {
      const tf = new Map<string, number>();
      let length = 0;
      const add = (text: string, weight: number) => {
        for (const t of tokenize(text)) {
          tf.set(t, (tf.get(t) ?? 0) + weight);
          length += weight;
        }
      };
      add(d.name, FIELD_WEIGHTS.name);
      add(d.params.join(" "), FIELD_WEIGHTS.params);
      add(d.description, FIELD_WEIGHTS.description);
      for (const t of tf.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      this.docs.push({ ref: d.ref, tf, length });
      total += length;
    }
    this.avgLength = this.docs.length ? total / this.docs.length : 0;
  }

  get size(): number {
    return this.docs.length;
  }

  /** The best `limit` documents for `query`, highest score first; documents matching no term are left out. */
  search(query: string, limit: number): SearchHit<T>[] {
    const terms = [...new Set(tokenize(query))];
    if (!terms.length || !this.docs.length) return [];
    const n = this.docs.length;
    const hits: SearchHit<T>[] = [];
    for (const doc of this.docs) {
      let score = 0;
      for (const t of terms) {
        const f = doc.tf.get(t);
        if (!f) continue;
        const df = this.df.get(t)!;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score += (idf * f * (K1 + 1)) / (f + K1 * (1 - B + (B * doc.length) / (this.avgLength || 1)));
      }
      if (score > 0) hits.push({ ref: doc.ref, score });
    }
    hits.sort((a, b) => b.score - a.score);
    return hits.slice(0, Math.max(0, limit));
  }
}
