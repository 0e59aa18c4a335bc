#!/usr/bin/env node
import { runBrokerCommand } from './cli/broker-command.js'
import { runTestCommand } from './cli/test-command.js'
import { runRunCommand } from './cli/run-command.js'
import { runReplicaCommand } from './cli/replica-command.js'
import { runImportCommand } from './cli/import-command.js'
import { ConfigError } from './functions/config/load.js'
import { HandlerLoadError } from './functions/loader.js'
import { CliError } from './cli/args.js'

const USAGE = `Usage: tidewatch <command> [options]

Commands:
  broker     Run the embedded Kafka-protocol broker (tidewatch broker --help)
  run        Run a function against the embedded broker or a Kafka cluster
  test       Run a function's handler on log lines from a file, printing what it would send
  import     Convert an OpenFunction Function YAML (tidewatch import openfunction FILE)

Run 'tidewatch <command> --help' for a command's options.`

async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'broker': return await runBrokerCommand(rest)
    case 'test': return await runTestCommand(rest)
    case 'run': return await runRunCommand(rest)
    case 'replica': return await runReplicaCommand(rest)
    case 'import': return runImportCommand(rest)
    case undefined:
    case '-h':
    case '--help':
      console.log(USAGE)
      return command === undefined ? 1 : 0
    default:
      throw new CliError(`unknown command '${command}'\n\n${USAGE}`)
  }
}

main(process.argv.slice(2)).then(code => { process.exitCode = code }, err => {
  if (err instanceof CliError || err instanceof ConfigError || err instanceof HandlerLoadError) {
    console.error(`tidewatch: ${err.message}`)
    process.exitCode = 2
  } else {
    console.error(err)
    process.exitCode = 1
  }
})
