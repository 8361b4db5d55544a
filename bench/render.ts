// `node bench/render.ts`: writes bench/RESULTS.md again from bench/results.json, after a change to how it is written
// (report.ts), without measuring again.
import { readFile, writeFile } from "node:fs/promises";
import { renderResults, type Results } from "./report.ts";

const results = JSON.parse(await readFile("bench/results.json", "utf8")) as Results;
await writeFile("bench/RESULTS.md", renderResults(results));
console.log("wrote bench/RESULTS.md from bench/results.json");
