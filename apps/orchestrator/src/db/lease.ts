import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { SweepOwner } from './records';
import { SWEEP_LEASE_MS } from './store';

/** This process as a sweep owner. */
export function currentOwner(): SweepOwner {
  return { host: hostname(), pid: process.pid, token: randomUUID() };
}

/** A new owner for writers that do not say who they are (test fixtures, scripts). */
export function anonymousOwner(): SweepOwner {
  return { host: hostname(), pid: process.pid, token: `anonymous-${randomUUID()}` };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the store knows about a sweep's owner. */
export interface OwnerState {
  status: string;
  owner: SweepOwner | null;
  heartbeatAt: Date | null;
}

/**
 * True when the sweep's owner may still be writing: the sweep is 'running', its owner beat within the lease, and
 * (when the owner is a process of this host) that process still exists.
 */
export function ownerIsLive(state: OwnerState, now: Date = new Date(), leaseMs: number = SWEEP_LEASE_MS): boolean {
  if (state.status !== 'running' || !state.owner || !state.heartbeatAt) return false;
  if (now.getTime() - state.heartbeatAt.getTime() > leaseMs) return false;
  if (state.owner.host === hostname() && state.owner.pid !== process.pid && !processExists(state.owner.pid)) return false;
  return true;
}
