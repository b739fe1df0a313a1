// `npm run bench [name...]`: runs every bench/*.bench.ts (or the named ones) one after another and prints their
// figures. Each benchmark module default-exports `async (ctx) => void` and prints its own figures through
// ctx.print. Methodology: bench/README.md. Nothing here asserts: targets are printed next to the measurements.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export interface BenchContext {
  /** Prints one figure: `name  value unit  (target …)`. */
  print(name: string, value: number | string, unit?: string, target?: string): void;
  /** Free-form line. */
  note(line: string): void;
}

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmarks match ${wanted.join(", ")}`);
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  const name = file.replace(/\.bench\.ts$/, "");
  console.log(`\n## ${name}`);
  const ctx: BenchContext = {
    print(figure, value, unit = "", target) {
      const shown =
        typeof value === "number" ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : value;
      console.log(
        `${figure.padEnd(52)} ${`${shown} ${unit}`.trim().padStart(16)}${target ? `   (target ${target})` : ""}`,
      );
    },
    note: (line) => console.log(line),
  };
  const started = Date.now();
  try {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as {
      default: (ctx: BenchContext) => Promise<void>;
    };
    await mod.default(ctx);
    console.log(`(${name} took ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed++;
    console.error(`${name} failed:`, error);
  }
}
process.exit(failed > 0 ? 1 : 0);
