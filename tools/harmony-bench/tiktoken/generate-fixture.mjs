// Writes the tokenizer fixture of tests/GptOss.Harmony.Tests from npm tiktoken's o200k_base:
//   corpus.txt      a deterministic, varied text (> 100 KB): scripts, emoji, code, numbers, whitespace runs, CRLF
//   expected.json   {"tiktoken": version, "encoding": "o200k_base", "chunks": [{"start", "length", "ids"}]}
//                   (start/length in UTF-16 code units; chunks of varied size so boundaries vary too)
// Usage: cd tools/harmony-bench/tiktoken && npm install && node generate-fixture.mjs [outDir]
import { get_encoding } from "tiktoken";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2] ?? join(here, "..", "..", "..", "tests", "GptOss.Harmony.Tests", "Fixtures", "tokenizer");

// mulberry32: a small deterministic PRNG, so the corpus is the same on every run.
let seed = 0x9e3779b9;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));

const samples = [
  "The quick brown fox jumps over the lazy dog. I'm sure they'll say it's fine, but we'd better check: don't you think? THEY'RE HERE. It'S ok. We'VE got it.",
  "Numbers: 0 7 42 123 1234 12345 1234567890, 3.14159, -2.5e-10, 1,000,000.00, 2025-06-28T12:34:56Z, v1.2.3, 0x1F, 1e100, ½ ⅓ ² ³ Ⅻ ٣٤٥ ١٢ ４２.",
  "def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\nprint([fib(i) for i in range(10)])\n",
  "public static int Add(int a, int b) => a + b; // C#\r\nvar xs = new List<string> { \"a\", \"b\" };\r\nif (x != null && y >= 0) { Console.WriteLine($\"{x}/{y}\"); }\r\n",
  "{\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"}}, \"required\": [\"location\"]}",
  "<html><body><p class=\"x\">Hello &amp; welcome!</p><br/></body></html>\n<script>const f = (a) => a?.b ?? 0;</script>",
  "Ελληνικά: Καλημέρα κόσμε. Русский: Привет, мир! Как дела? Українська: Ґанок. עברית: שלום עולם. العربية: مرحبا بالعالم.",
  "हिन्दी: नमस्ते दुनिया। ไทย: สวัสดีชาวโลก 中文：你好，世界！日本語：こんにちは、世界。カタカナ。한국어: 안녕하세요 세계.",
  "Emoji: 😊👋🏾👨‍👩‍👧‍👦🇺🇸🇯🇵 ❤️ ✅ 🤖💬 🧑🏽‍💻 1️⃣ #️⃣ 🏳️‍🌈",
  "Combining: naïve vs naïve, é e\u0301 ñ n\u0303, Å A\u030a, ग़, 각 \u1100\u1161\u11a8, a\u0300\u0301\u0302'S",
  "Astral letters: 𝐀𝐁𝐂 𝐀'S 𝐁'll 𝒜𝒷𝒸's 𝔘𝔫𝔦'VE 𐌰𐌱𐌲 𒀀𒀁 𝕏'd 𝓐𝓑'm 𠀀𠀁 丽'RE",
  "Whitespace:   three  two\ttab\t\tdouble   \n  leading\n\n\n\ntrailing   \n\r\n\r\n \r \t \u00a0nbsp\u3000ideo\u2003em \u2028ls\u2029ps\n",
  "Special token text stays ordinary: <|start|>assistant<|channel|>final<|message|>hi<|end|> <|endoftext|> <|endofprompt|> <|reserved_200100|>",
  "URLs and paths: https://example.com/a/b?c=d&e=f#g /usr/local/bin//x C:\\Windows\\System32 ../../up ~/home/.config/",
  "Punctuation runs: ... --- !!! ??? ;;; ::: ((())) [[[]]] {{{}}} <<<>>> /// \\\\ ||| &&& *** ^^^ %%% $$$ ### @@@",
  "Mixed case: camelCase PascalCase snake_case SCREAMING_CASE kebab-case iPhone eBay McDonald's O'Neil DON'T Don'T",
  "Long runs: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1111111111111111111111111 ________________________________ ==========",
];

const alphabets = [
  "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "αβγδεζηθικλμνξοπρστυφχψω", "абвгдежзийклмнопрстуфхцчшщыэюя",
  "אבגדהוזחטיכלמנסעפצקרשת", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "कखगघचछजझटठडढणतथदधनपफबभमयरलवशसह", "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศษสหอฮ",
  "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年", "あいうえおかきくけこさしすせそたちつてとなにぬねの", "가나다라마바사아자차카타파하", "0123456789",
];
const astral = ["𝐀", "𝐁", "𝐚", "𝐛", "𝒜", "𝔘", "𐌰", "𒀀", "𠀀", "😀", "🚀", "🧠", "𝟏", "𝟐"];
const separators = [" ", " ", " ", ", ", ". ", "\n", "\r\n", "\t", "  ", "   ", "'s ", "'LL ", "'re ", "-", "_", "/", "", "\n\n", " \n", "\u00a0"];

function randomWord() {
  if (random() < 0.08) return Array.from({ length: int(1, 4) }, () => pick(astral)).join("");
  const a = pick(alphabets);
  const chars = Array.from(a);
  return Array.from({ length: int(1, 12) }, () => pick(chars)).join("");
}

// Category edge cases: marks before/after upper and lower letters, title case, modifier letters, other numbers,
// astral letters and digits next to contractions, all whitespace kinds.
const tricky = Array.from("aAzZsStTrReEvVmMlLdD'' \t\r\n\u000b\u0085\u00a0\u2003\u3000ǅʰªא中ー\u0301\u0903\u20dd5٣²Ⅻ½.,!?/\\-_()\"<|>#€😀𝐀𝐚𝒜𝟏𐌰");
function trickyLine() {
  return Array.from({ length: int(4, 40) }, () => pick(tricky)).join("");
}

function randomLine() {
  const parts = [];
  const n = int(3, 25);
  for (let i = 0; i < n; i++) parts.push(randomWord(), pick(separators));
  return parts.join("");
}

let corpus = "";
while (corpus.length < 120_000) {
  const r = random();
  corpus += r < 0.3 ? pick(samples) : r < 0.45 ? trickyLine() : randomLine();
  corpus += pick(["\n", "\n", "\r\n", "\n\n", " ", ""]);
}

const encoding = get_encoding("o200k_base");
const chunks = [];
for (let start = 0; start < corpus.length;) {
  let end = Math.min(corpus.length, start + int(64, 4096));
  const c = corpus.charCodeAt(end - 1);
  if (end < corpus.length && c >= 0xd800 && c <= 0xdbff) end++; // never split a surrogate pair
  const text = corpus.slice(start, end);
  chunks.push({ start, length: end - start, ids: Array.from(encoding.encode_ordinary(text)) });
  start = end;
}
encoding.free();

const version = JSON.parse(readFileSync(join(here, "node_modules", "tiktoken", "package.json"), "utf8")).version;
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "corpus.txt"), corpus, "utf8");
writeFileSync(join(outDir, "expected.json"), JSON.stringify({ tiktoken: version, encoding: "o200k_base", chunks }));
console.log(`corpus: ${Buffer.byteLength(corpus, "utf8")} bytes, ${chunks.length} chunks, ${chunks.reduce((n, c) => n + c.ids.length, 0)} tokens -> ${outDir}`);
