#!/usr/bin/env node
import { ConfigError } from './functions/config/load.js'
import { HandlerLoadError } from './functions/loader.js'
import { CliError } from './cli/args.js'

const USAGE = `Usage: tidewatch <command> [options]

Commands:
  init       Create a function in a folder: Function file, handler, sample log, project file
  up         Run a whole project: broker, functions, autoscaler, notifier and console (--demo)
  demo       Produce demo access logs (404 storms and quiet spells) to a Kafka topic
  broker     Run the embedded Kafka-protocol broker (tidewatch broker --help)
  run        Run a function, autoscaled by lag, against the embedded broker or a Kafka cluster
  status     Show the functions of a running Tidewatch: replicas, lag, records/s, errors
  events     Show scaling events (tidewatch events --follow)
  test       Run a function's handler, or a rule file's alerting rules, on records from a file
  tail       Ship container log files (CRI, docker, plain) to a Kafka topic, checkpointed
  ingest     Serve the Elasticsearch _bulk, Loki push and OTLP logs APIs in front of a Kafka topic
  deploy     Write Kubernetes manifests (Deployment + KEDA ScaledObject) for a function
  import     Convert an OpenFunction Function YAML (tidewatch import openfunction FILE)
  notifier   Run the Alertmanager-compatible notifier alone (tidewatch notifier --config FILE)

Run 'tidewatch <command> --help' for a command's options.`

async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    // Commands are loaded on demand: a replica starting from zero should not pay for the broker
    // or the HTTP server it never uses.
    case 'init': return (await import('./cli/init-command.js')).runInitCommand(rest)
    case 'up': return await (await import('./cli/up-command.js')).runUpCommand(rest)
    case 'demo': return await (await import('./cli/demo-command.js')).runDemoCommand(rest)
    case 'broker': return await (await import('./cli/broker-command.js')).runBrokerCommand(rest)
    case 'test': return await (await import('./cli/test-command.js')).runTestCommand(rest)
    case 'run': return await (await import('./cli/run-command.js')).runRunCommand(rest)
    case 'replica': return await (await import('./cli/replica-command.js')).runReplicaCommand(rest)
    case 'import': return (await import('./cli/import-command.js')).runImportCommand(rest)
    case 'status': return await (await import('./cli/status-command.js')).runStatusCommand(rest)
    case 'events': return await (await import('./cli/events-command.js')).runEventsCommand(rest)
    case 'tail': return await (await import('./cli/tail-command.js')).runTailCommand(rest)
    case 'ingest': return await (await import('./cli/ingest-command.js')).runIngestCommand(rest)
    case 'deploy': return await (await import('./cli/deploy-command.js')).runDeployCommand(rest)
    case 'notifier': return await (await import('./cli/notifier-command.js')).runNotifierCommand(rest)
    case undefined:
    case '-h':
    case '--help':
      console.log(USAGE)
      return command === undefined ? 1 : 0
    default:
      throw new CliError(`unknown command '${command}'\n\n${USAGE}`)
  }
}

/**
 * A command has closed everything it started when it returns, so the process should end at once.
 * If something still holds the event loop (a timer or socket a library left behind), say what,
 * and end anyway: a stopped Tidewatch must never linger. The timer is unref'd, so a clean exit
 * is not delayed by it.
 */
function exitIfStillRunning (): void {
  setTimeout(() => {
    const holding = process.getActiveResourcesInfo().filter(r => r !== 'TTYWrap' && r !== 'Timeout')
    console.error(`tidewatch: still running 5 s after stopping (held by ${holding.join(', ') || 'timers'}); exiting`)
    process.exit()
  }, 5_000).unref()
}

main(process.argv.slice(2)).then(code => { process.exitCode = code; exitIfStillRunning() }, err => {
  exitIfStillRunning()
  if (err instanceof CliError || err instanceof ConfigError || err instanceof HandlerLoadError) {
    console.error(`tidewatch: ${err.message}`)
    process.exitCode = 2
  } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    // Most often another Kafka broker on 9092, or a second Tidewatch on 8080.
    const { address, port } = err as { address?: string, port?: number }
    console.error(`tidewatch: ${address ?? 'the address'}:${port ?? '?'} is already in use by another program; pick another port (--port, --broker-port; 0 picks a free one) or stop that program`)
    process.exitCode = 2
  } else {
    console.error(err)
    process.exitCode = 1
  }
})
