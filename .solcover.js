// Coverage of the production contracts only (npm run coverage): not the mocks, the test harnesses or the auditor's
// ViewAggregator (never deployed; tested through the auditor's suite).
// The gate modifiers revert inside internal calls (_checkRole, the guard, the pause check), which the branch
// instrumentation cannot attribute to the modifier; both outcomes of every gate are asserted explicitly by
// test/contracts/AccessControl.test.ts (every role × every privileged function), PauseAndAudit.test.ts and
// HostileTokens.test.ts.
module.exports = {
  skipFiles: ["mocks/", "test/", "auditor/"],
  modifierWhitelist: ["onlyRole", "whenNotPaused", "nonReentrant", "onlyLedger"],
  mocha: { timeout: 600000 },
};
