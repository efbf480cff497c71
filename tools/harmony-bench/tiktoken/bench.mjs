// npm tiktoken's o200k_base encode throughput on a corpus file (the peer of `harmony-bench`'s tokenizer number).
// Usage: node bench.mjs CORPUS [seconds]   -> prints one line: "npm tiktoken <version> encode_ordinary: <MB/s> MB/s (<tokens> tokens)"
import { get_encoding } from "tiktoken";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const corpus = readFileSync(process.argv[2], "utf8");
const seconds = Number(process.argv[3] ?? 3);
const bytes = Buffer.byteLength(corpus, "utf8");
const encoding = get_encoding("o200k_base");
let tokens = encoding.encode_ordinary(corpus).length; // warm-up
let runs = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < seconds) {
  tokens = encoding.encode_ordinary(corpus).length;
  runs++;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
}
encoding.free();
const version = JSON.parse(readFileSync(join(here, "node_modules", "tiktoken", "package.json"), "utf8")).version;
console.log(`npm tiktoken ${version} encode_ordinary: ${((bytes * runs) / elapsed / 1e6).toFixed(2)} MB/s (${tokens} tokens, ${runs} runs)`);
