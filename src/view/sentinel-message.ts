/** One sentinel event for this topology's master, as received. */
export interface SentinelMessage {
  sentinel: string;
  channel: string;
  payload: string;
}

/** Instance events carry "@ <master> ..." and master events "master <master> ..."; keep ours. */
export function concernsMaster(payload: string, masterName: string): boolean {
  const words = payload.split(' ');
  const at = words.indexOf('@');
  if (at >= 0) return words[at + 1] === masterName;
  return words[1] === masterName || words[0] === masterName;
}
