/**
 * Picks the group protocol (assignor) as Kafka does: candidates are the protocols every member
 * supports; each member votes for the first candidate in its own preference order; most votes
 * wins, ties going to the candidate listed first by the first member. Null when there is no
 * common protocol. Pure, so the decision is testable on its own.
 */
export function selectProtocol (members: { protocols: { name: string }[] }[]): string | null {
  if (members.length === 0) return null
  const candidates = members[0].protocols.map(p => p.name)
    .filter(name => members.every(m => m.protocols.some(p => p.name === name)))
  if (candidates.length === 0) return null
  const votes = new Map<string, number>(candidates.map(c => [c, 0]))
  for (const m of members) {
    const choice = m.protocols.find(p => votes.has(p.name))!.name
    votes.set(choice, votes.get(choice)! + 1)
  }
  let best = candidates[0]
  for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c
  return best
}

/** True when a joining member shares at least one protocol with every current member. */
export function compatibleProtocols (joining: { name: string }[], members: { protocols: { name: string }[] }[]): boolean {
  return joining.some(p => members.every(m => m.protocols.some(q => q.name === p.name)))
}
