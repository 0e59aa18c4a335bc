// What Kafka reports as a principal's authorized operations when it runs without an
// authorizer: every operation the resource type supports (AclOperation codes as bits), or
// UNKNOWN when the client did not ask. This broker has no ACLs, so anyone who may connect
// may do everything.
const op = { READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12 }

const bits = (...ops: number[]): number => ops.reduce((n, o) => n | (1 << o), 0)

export const UNKNOWN_OPERATIONS = -2147483648
export const TOPIC_OPERATIONS = bits(op.READ, op.WRITE, op.CREATE, op.DELETE, op.ALTER, op.DESCRIBE, op.DESCRIBE_CONFIGS, op.ALTER_CONFIGS)
export const CLUSTER_OPERATIONS = bits(op.CREATE, op.CLUSTER_ACTION, op.DESCRIBE_CONFIGS, op.ALTER_CONFIGS, op.IDEMPOTENT_WRITE, op.ALTER, op.DESCRIBE)
export const GROUP_OPERATIONS = bits(op.READ, op.DESCRIBE, op.DELETE)

/** The bit set for a resource when the request asked for it, else UNKNOWN_OPERATIONS. */
export function authorizedOperations (asked: boolean, all: number): number {
  return asked ? all : UNKNOWN_OPERATIONS
}
