import { expect } from "chai";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkDependencies, checkRepository, InstalledPackage, packageOf, specifiersOf } from "../../scripts/check-deps";

describe("scripts/check-deps.ts", function () {
  describe("specifiersOf", function () {
    it("when given TypeScript, it finds imports, re-exports, type imports, require, import() and require.resolve, none in comments or strings", function () {
      const text = [
        'import { a } from "alpha";',
        'import type { B } from "@scope/beta/sub";',
        'export { c } from "./local";',
        'import "side-effect";',
        'const d = require("delta");',
        'const e = await import("epsilon");',
        'const f = require.resolve("phi/file.js");',
        '// import { g } from "in-a-comment";',
        'const h = "import { i } from \\"in-a-string\\"";',
        '// require.resolve("resolved-in-a-comment");',
        'const j = "require.resolve(\\"resolved-in-a-string\\")";',
      ].join("\n");
      expect(specifiersOf({ path: "x.ts", text }).sort()).to.deep.equal(
        ["./local", "@scope/beta/sub", "alpha", "delta", "epsilon", "phi/file.js", "side-effect"].sort(),
      );
    });

    it("when given Solidity, it finds single-line, multi-line and plain imports", function () {
      const text = [
        'import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";',
        "import {",
        "    A,",
        "    B",
        '} from "./Local.sol";',
        'import "forge-std/Test.sol";',
      ].join("\n");
      expect(specifiersOf({ path: "C.sol", text })).to.deep.equal([
        "@openzeppelin/contracts/token/ERC20/ERC20.sol",
        "./Local.sol",
        "forge-std/Test.sol",
      ]);
    });
  });

  describe("packageOf", function () {
    it("when given a package path, it names the package; paths and Node's built-ins name none", function () {
      expect(packageOf("@noble/hashes/sha3")).to.equal("@noble/hashes");
      expect(packageOf("viem/accounts")).to.equal("viem");
      expect(packageOf("zod")).to.equal("zod");
      for (const none of ["./a", "../b/c", "/abs", "node:fs", "fs", "node:fs/promises"]) expect(packageOf(none), none).to.equal(undefined);
    });
  });

  describe("checkDependencies", function () {
    const installed: Record<string, InstalledPackage> = {
      toolbox: { peerDependencies: { plugin: "1", typings: "1", "not-declared": "1" } },
      plugin: { peerDependencies: { "plugin-peer": "1" } },
      runner: { bin: { "run-it": "cli.js" } },
      single: { bin: "cli.js" },
    };
    const check = (files: { path: string; text: string }[], dependencies: string[], scripts: Record<string, string> = {}) =>
      checkDependencies(
        files,
        { scripts, dependencies: Object.fromEntries(dependencies.map((name) => [name, "1.0.0"])) },
        (name) => installed[name],
      );

    it("when a file imports a package that is not declared, it names the package and every file importing it", function () {
      const report = check(
        [
          { path: "a.ts", text: 'import x from "missing/sub"; import y from "declared";' },
          { path: "b.ts", text: 'require("missing");' },
        ],
        ["declared"],
      );
      expect([...report.undeclared]).to.deep.equal([["missing", ["a.ts", "b.ts"]]]);
      expect(report.unused).to.deep.equal([]);
    });

    it("when a declared package is neither imported, run, a peer of a used one nor its types, it is unused", function () {
      const report = check(
        [{ path: "a.ts", text: 'import "toolbox"; import "fs";' }],
        ["toolbox", "plugin", "plugin-peer", "typings", "runner", "single", "@types/toolbox", "@types/node", "@types/gone", "idle"],
        { lint: "run-it --fix && npx single" },
      );
      expect(report.undeclared.size).to.equal(0);
      expect(report.unused).to.deep.equal(["@types/gone", "idle"]);
    });

    it("when a script names a package but not its command, the package is unused", function () {
      expect(check([], ["runner"], { lint: "runner" }).unused).to.deep.equal(["runner"]);
    });

    it("when a package is used only through a config file, TOOLING must name it", function () {
      expect(check([], ["prettier-plugin-solidity"]).unused).to.deep.equal([]);
    });
  });

  describe("the repository", function () {
    it("when checked, every imported package is declared and every declared package is used", function () {
      const report = checkRepository(path.join(__dirname, "..", ".."));
      expect([...report.undeclared.keys()]).to.deep.equal([]);
      expect(report.unused).to.deep.equal([]);
      expect(report.files).to.be.greaterThan(200);
    });

    it("when it is not a git checkout (an unpacked copy), it walks the tree and reads the same files", function () {
      const root = path.join(__dirname, "..", "..");
      const copy = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-check-deps-"));
      try {
        const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter(Boolean);
        for (const file of tracked) {
          if (!fs.existsSync(path.join(root, file))) continue;
          fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
          fs.copyFileSync(path.join(root, file), path.join(copy, file));
        }
        fs.symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"));
        // what .gitignore leaves out must stay out: a state folder at the root, a nested cache
        fs.mkdirSync(path.join(copy, "state"));
        fs.writeFileSync(path.join(copy, "state", "x.ts"), 'import "left-pad";\n');
        fs.mkdirSync(path.join(copy, "api", "cache"), { recursive: true });
        fs.writeFileSync(path.join(copy, "api", "cache", "y.ts"), 'import "left-pad";\n');
        const inCopy = checkRepository(copy);
        const inCheckout = checkRepository(root);
        expect(inCopy.files).to.equal(inCheckout.files);
        expect([...inCopy.undeclared.keys()]).to.deep.equal([]);
      } finally {
        fs.rmSync(copy, { recursive: true, force: true });
      }
    });
  });
});
