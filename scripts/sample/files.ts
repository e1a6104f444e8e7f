// Writing the generated files into a folder and comparing a folder with them (`--check`, the sample test).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split("\\").join("/"));
    }
  };
  walk(dir);
  return out;
}

/** Writes the files into `dir`, removing files of an earlier generation that are no longer produced. */
export function writeSampleData(dir: string, files: Map<string, string>): void {
  for (const old of listFiles(dir)) if (!files.has(old)) rmSync(join(dir, old));
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** Paths that differ between `dir` and `files` (changed, missing or extra). */
export function diffSampleData(dir: string, files: Map<string, string>): string[] {
  const diff: string[] = [];
  const present = new Set(listFiles(dir));
  for (const [path, content] of files) {
    if (!present.has(path)) diff.push(`missing ${path}`);
    else if (readFileSync(join(dir, path), "utf8") !== content) diff.push(`changed ${path}`);
  }
  for (const path of present) if (!files.has(path)) diff.push(`extra ${path}`);
  return diff;
}
