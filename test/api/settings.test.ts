import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { API_CONFIG_ENV, API_ENV, DEPRECATED_API_ENV, loadApiConfig } from "../../api/config";
import { ConfigError } from "../../sdk/errors";

const CHAIN = { DSX_RPC_URL: "http://127.0.0.1:8545", DSX_CHAIN_ID: "31337" };

/** Loads with `environment`, collecting what would go to stderr. */
function load(environment: Record<string, string>) {
  const lines: string[] = [];
  const config = loadApiConfig(environment, (line) => lines.push(line));
  return { config, lines };
}

describe("api/config: the API's environment variables", function () {
  describe("when the DSX_* names are set", function () {
    it("it reads every setting from its DSX_API_* (or DSX_RPC_URL, DSX_CHAIN_ID, DSX_DEPLOYMENTS_DIR) variable and prints nothing", function () {
      const { config, lines } = load({
        ...CHAIN,
        DSX_DEPLOYMENTS_DIR: "deps",
        DSX_API_DATA_DIR: "index",
        DSX_API_HOST: "0.0.0.0",
        DSX_API_PORT: "9090",
        DSX_API_INDEXER: "false",
        DSX_API_CONFIRMATIONS: "5",
        DSX_API_CHUNK_SIZE: "300",
        DSX_API_POLL_INTERVAL_MS: "250",
        DSX_API_LEASE_TTL_MS: "4000",
        DSX_API_EVIDENCE_DIR: "evidence",
        DSX_API_AUDIT_DIR: "audit-reports",
        DSX_API_CORS_ORIGINS: "*",
        DSX_API_RATE_LIMIT_PER_MINUTE: "7",
        DSX_API_BODY_LIMIT: "8kb",
        DSX_API_LOG_LEVEL: "warn",
        DSX_API_SHUTDOWN_TIMEOUT_MS: "500",
      });
      expect(config).to.deep.include({
        rpcUrl: "http://127.0.0.1:8545",
        chainId: 31337,
        deploymentsDir: "deps",
        dataDir: "index",
        host: "0.0.0.0",
        port: 9090,
        indexer: false,
        confirmations: 5,
        chunkSize: 300,
        pollIntervalMs: 250,
        leaseTtlMs: 4000,
        evidenceDir: "evidence",
        auditDir: "audit-reports",
        corsOrigins: "*",
        rateLimitPerMinute: 7,
        bodyLimit: "8kb",
        logLevel: "warn",
        shutdownTimeoutMs: 500,
      });
      expect(lines).to.deep.equal([]);
    });

    it("every variable but DATABASE_URL is a DSX_ name, and every old name maps to one of them", function () {
      const names = [...Object.values(API_ENV), API_CONFIG_ENV];
      expect(names.filter((name) => !name.startsWith("DSX_"))).to.deep.equal(["DATABASE_URL"]);
      expect(names).to.include.members(Object.keys(DEPRECATED_API_ENV));
    });

    it("a bad value names the setting and its DSX_ variable", function () {
      expect(() => load({ ...CHAIN, DSX_RPC_URL: "not a url" })).to.throw(ConfigError, /rpcUrl.*DSX_RPC_URL/);
      expect(() => load({ ...CHAIN, DSX_API_PORT: "eighty" })).to.throw(ConfigError, /port.*DSX_API_PORT/);
    });
  });

  describe("when the old names are set", function () {
    it("it still reads them and prints one deprecation line naming each new variable", function () {
      const { config, lines } = load({ RPC_URL: "http://127.0.0.1:8546", CHAIN_ID: "5", DEPLOYMENTS_DIR: "old-deps", API_PORT: "9091", LOG_LEVEL: "debug" });
      expect(config).to.deep.include({ rpcUrl: "http://127.0.0.1:8546", chainId: 5, deploymentsDir: "old-deps", port: 9091, logLevel: "debug" });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^warning: deprecated environment variables: /);
      for (const [old, now] of [["RPC_URL", "DSX_RPC_URL"], ["CHAIN_ID", "DSX_CHAIN_ID"], ["DEPLOYMENTS_DIR", "DSX_DEPLOYMENTS_DIR"], ["API_PORT", "DSX_API_PORT"], ["LOG_LEVEL", "DSX_API_LOG_LEVEL"]]) {
        expect(lines[0]).to.include(`${old} (now ${now})`);
      }
      expect(lines[0]).to.include('docs/api.md "Settings"');
    });

    it("by default the line goes to stderr", function () {
      const written: string[] = [];
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
      try {
        loadApiConfig({ ...CHAIN, API_INDEXER: "false" });
      } finally {
        process.stderr.write = write;
      }
      expect(written).to.deep.equal(['warning: deprecated environment variables: API_INDEXER (now DSX_API_INDEXER); the old names still work, see docs/api.md "Settings".\n']);
    });

    it("it still reads the settings file named by API_CONFIG", function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-api-settings-"));
      const file = path.join(dir, "api.json");
      fs.writeFileSync(file, JSON.stringify({ rpcUrl: "http://127.0.0.1:8547", chainId: 8453, port: 7070 }));
      try {
        const old = load({ API_CONFIG: file });
        expect(old.config).to.deep.include({ rpcUrl: "http://127.0.0.1:8547", chainId: 8453, port: 7070 });
        expect(old.lines).to.have.length(1);
        expect(old.lines[0]).to.include("API_CONFIG (now DSX_API_CONFIG)");
        const now = load({ DSX_API_CONFIG: file, DSX_API_PORT: "7071" });
        expect(now.config).to.deep.include({ chainId: 8453, port: 7071 });
        expect(now.lines).to.deep.equal([]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("a bad value names the old variable it came from", function () {
      const lines: string[] = [];
      expect(() => loadApiConfig({ ...CHAIN, API_PORT: "eighty" }, (line) => lines.push(line))).to.throw(ConfigError, /port.*from environment variable API_PORT/);
      expect(lines).to.have.length(1);
    });
  });

  describe("when both names of a setting are set", function () {
    it("and they differ, the new one wins and the line says so", function () {
      const { config, lines } = load({ ...CHAIN, RPC_URL: "http://10.0.0.1:8545", API_PORT: "1111", DSX_API_PORT: "2222" });
      expect(config).to.deep.include({ rpcUrl: "http://127.0.0.1:8545", port: 2222 });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include("RPC_URL (now DSX_RPC_URL; both are set and differ: DSX_RPC_URL wins)");
      expect(lines[0]).to.include("API_PORT (now DSX_API_PORT; both are set and differ: DSX_API_PORT wins)");
    });

    it("and they agree, it reads the value and still names the new variable", function () {
      const { config, lines } = load({ ...CHAIN, CHAIN_ID: "31337" });
      expect(config.chainId).to.equal(31337);
      expect(lines).to.deep.equal(['warning: deprecated environment variables: CHAIN_ID (now DSX_CHAIN_ID, set to the same value); the old names still work, see docs/api.md "Settings".']);
    });

    it("an empty variable counts as unset", function () {
      const { config, lines } = load({ ...CHAIN, API_HOST: "", DSX_API_HOST: "" });
      expect(config.host).to.equal("127.0.0.1");
      expect(lines).to.deep.equal([]);
    });
  });
});
