// The layers of src/, enforced by test/layering.test.ts (and `npx depcruise src`). A module may
// import its own part and anything in a lower layer, never a higher one or a sibling part of
// its own layer: the notifier does not reach into functions, the broker not into the client.
//
//   0  shared, protocol                      (bytes, config helpers, HTTP delivery, RE2, clock)
//   1  broker, kafka                         (the embedded broker; the one Kafka client)
//   2  functions, rules, notifier, logstore, demo, collect
//   3  scaling, deploy, project, ingest      (ingest: shippers' APIs over logstore's append path
//                                             and collect's envelope, so it sits above both)
//   4  api, console
//   5  cli, cli.ts, index.ts                 (composition: may use everything)
const L0 = 'shared|protocol'
const L1 = `${L0}|broker|kafka`
const L2 = `${L1}|functions|rules|notifier|logstore|demo|collect`
const L3 = `${L2}|scaling|deploy|project|ingest`
const L4 = `${L3}|api|console`

const layer = (parts, below) => ({
  from: { path: `^src/(${parts})/`, pathNot: '\\.test\\.ts$' },
  to: { path: `^src/($1|${below})/` }
})

module.exports = {
  allowed: [
    { from: {}, to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] } },
    // Test support (fixtures, the codec generator the codec test checks against) is not product code.
    { from: { path: '(\\.test\\.ts$|^test/|^scripts/)' }, to: { path: '^(src|test|scripts)/' } },
    layer(L0, L0),
    layer('broker|kafka', L0),
    layer('functions|rules|notifier|logstore|demo|collect', L1),
    layer('scaling|deploy|project|ingest', L2),
    layer('api|console', L3),
    { from: { path: '^src/(cli/|cli\\.ts$|index\\.ts$)' }, to: { path: `^src/(cli/|${L4}/)` } },
  ],
  allowedSeverity: 'error',
  forbidden: [
    { name: 'no-circular-across-parts', severity: 'error', from: { path: '^src/([^/]+)/' }, to: { circular: true, pathNot: '^src/$1/' } }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Packages that publish only ES module entry points resolve through their "import" condition.
    enhancedResolveOptions: { conditionNames: ['import', 'require', 'node', 'default'], exportsFields: ['exports'] },
    exclude: { path: '^(dist|node_modules)/' }
  }
}
