// Holds package.json to the code (part of `npm run lint`): every package the code imports is declared, and every
// declared package is used — imported (TypeScript, JavaScript or Solidity), run as a command by an npm script, a peer
// dependency of a used package, the types of one, or named in TOOLING with the reason.
//   tsx scripts/check-deps.ts
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { isBuiltin } from "node:module";
import path from "node:path";
import ts from "typescript";

/** Declared packages used by tooling through a config file rather than an import or a command. */
export const TOOLING: Readonly<Record<string, string>> = {
  "prettier-plugin-solidity": "the plugin of .prettierrc.json",
};

/** The fields of package.json this check reads. */
export interface Manifest {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** The fields of an installed package's package.json this check reads. */
export interface InstalledPackage {
  bin?: string | Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** A source file: its path from the repository root and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

/** What `checkDependencies` found: undeclared packages with the files importing them, and unused declared ones. */
export interface DependencyReport {
  undeclared: Map<string, string[]>;
  unused: string[];
}

const SOLIDITY_IMPORT = /\bimport\s+(?:[^"';]*?\bfrom\s+)?"([^"]+)"/g;

/** The string arguments of `require.resolve(…)` calls, read from the syntax tree. */
function resolvedSpecifiers(file: SourceFile): string[] {
  if (!file.text.includes("require.resolve")) return [];
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.getText() === "require.resolve" &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true));
  return found;
}

/**
 * The module specifiers a file imports: ES imports and re-exports, `require`, `import()` and `require.resolve` in
 * TypeScript and JavaScript (read by the TypeScript scanner, so comments and strings do not count), `import` in Solidity.
 * @example specifiersOf({ path: "a.ts", text: 'import { z } from "zod";' }); // ["zod"]
 */
export function specifiersOf(file: SourceFile): string[] {
  if (file.path.endsWith(".sol")) return [...file.text.matchAll(SOLIDITY_IMPORT)].map((m) => m[1]);
  return [...ts.preProcessFile(file.text, true, true).importedFiles.map((ref) => ref.fileName), ...resolvedSpecifiers(file)];
}

/**
 * The package a specifier names (`@scope/name` or `name`), or undefined for a relative or absolute path and for
 * Node's built-in modules.
 * @example packageOf("@noble/hashes/sha3"); // "@noble/hashes"
 */
export function packageOf(specifier: string): string | undefined {
  if (/^[./]/.test(specifier) || isBuiltin(specifier)) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** The command names an installed package puts in node_modules/.bin. */
function binsOf(name: string, pkg: InstalledPackage | undefined): string[] {
  if (pkg?.bin === undefined) return [];
  return typeof pkg.bin === "string" ? [name.split("/").pop()!] : Object.keys(pkg.bin);
}

/**
 * Compares the packages the files import with those the manifest declares.
 * @param installed reads an installed package's package.json (undefined when it is not installed)
 */
export function checkDependencies(
  files: readonly SourceFile[],
  manifest: Manifest,
  installed: (name: string) => InstalledPackage | undefined,
): DependencyReport {
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
  const importers = new Map<string, string[]>();
  for (const file of files) {
    for (const name of new Set(specifiersOf(file).map(packageOf))) {
      if (name !== undefined) importers.set(name, [...(importers.get(name) ?? []), file.path]);
    }
  }
  const undeclared = new Map([...importers].filter(([name]) => !declared.has(name)));

  const commands = new Set(Object.values(manifest.scripts ?? {}).flatMap((script) => script.split(/[\s;&|()]+/)));
  const used = new Set([...importers.keys()].filter((name) => declared.has(name)));
  for (const name of declared) {
    if (name in TOOLING || binsOf(name, installed(name)).some((bin) => commands.has(bin))) used.add(name);
  }
  // Peers of a used package are used by it (hardhat-toolbox loads ts-node, typechain, solidity-coverage, …).
  for (let queue = [...used]; queue.length > 0; ) {
    for (const peer of Object.keys(installed(queue.pop()!)?.peerDependencies ?? {})) {
      if (declared.has(peer) && !used.has(peer)) {
        used.add(peer);
        queue.push(peer);
      }
    }
  }
  const typed = (name: string) => {
    const target = name.slice("@types/".length).replace(/^(.+?)__/, "@$1/");
    return target === "node" ? true : used.has(target);
  };
  const unused = [...declared].filter((name) => !used.has(name) && !(name.startsWith("@types/") && typed(name)));
  return { undeclared, unused: unused.sort() };
}

const SOURCE_FILE = /\.(ts|js|cjs|mjs|sol)$/;

/**
 * The repository's TypeScript, JavaScript and Solidity files, tracked or new (git-ignored ones left out). Outside a
 * git checkout (an unpacked tarball, a copy) the tree is walked instead, leaving out the folders .gitignore names.
 */
function repositoryFiles(root: string): SourceFile[] {
  let listed: string[];
  try {
    listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.js", "*.cjs", "*.mjs", "*.sol"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).split("\n");
  } catch {
    listed = walkedFiles(root);
  }
  return listed
    .filter((file) => file !== "" && fs.existsSync(path.join(root, file)))
    .map((file) => ({ path: file, text: fs.readFileSync(path.join(root, file), "utf8") }));
}

/** Source files below `root` (relative paths), without .git, node_modules and the folders .gitignore names. */
function walkedFiles(root: string): string[] {
  const ignoreFile = path.join(root, ".gitignore");
  const ignoredDirs = (fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8").split("\n") : [])
    .map((line) => line.trim())
    .filter((line) => line.endsWith("/") && !line.startsWith("#"))
    .map((line) => line.slice(0, -1));
  // "/state/" (or "a/b/") matches from the root only; "cache/" matches a folder of that name anywhere
  const skipped = (relative: string) =>
    relative === ".git" ||
    path.basename(relative) === "node_modules" ||
    ignoredDirs.some((dir) => (dir.includes("/") ? relative === dir.replace(/^\//, "") : path.basename(relative) === dir));
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!skipped(child)) walk(child);
      } else if (entry.isFile() && SOURCE_FILE.test(entry.name)) files.push(child);
    }
  };
  walk("");
  return files.sort();
}

/** Runs the check on the repository at `root`; returns the report and the number of files read. */
export function checkRepository(root: string): DependencyReport & { files: number } {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as Manifest;
  const installed = (name: string): InstalledPackage | undefined => {
    const file = path.join(root, "node_modules", name, "package.json");
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as InstalledPackage) : undefined;
  };
  const files = repositoryFiles(root);
  return { ...checkDependencies(files, manifest, installed), files: files.length };
}

if (require.main === module) {
  const report = checkRepository(path.join(__dirname, ".."));
  for (const [name, files] of report.undeclared) {
    console.error(`check-deps: ${name} is imported but not in package.json (${files.join(", ")})`);
  }
  for (const name of report.unused) console.error(`check-deps: ${name} is in package.json but nothing uses it`);
  if (report.undeclared.size > 0 || report.unused.length > 0) process.exit(1);
  console.log(`check-deps: ${report.files} files, every imported package declared and every declared package used`);
}
