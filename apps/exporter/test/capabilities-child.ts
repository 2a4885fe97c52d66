// Run by capabilities.test.ts as a non-root user under a copy of node carrying file capabilities:
// prints its capability sets before and after raiseCapabilities, and whether it can then list the
// fds of a root process (argv[2]), as JSON.
import { readdirSync, readFileSync } from 'node:fs';
import { parseCapabilityStatus, raiseCapabilities } from '../src/capabilities.js';

const hex = (s: { permitted: bigint; effective: bigint; bounding: bigint }) => ({ permitted: s.permitted.toString(16), effective: s.effective.toString(16), bounding: s.bounding.toString(16) });
const sets = () => hex(parseCapabilityStatus(readFileSync('/proc/self/status', 'utf8')));
const before = sets();
const skip = process.argv[3] === 'no-raise';
const report = skip ? undefined : await raiseCapabilities();
const after = sets();
let rootFds: string;
try {
  rootFds = `${readdirSync(`/proc/${process.argv[2]}/fd`).length} fds`;
} catch (err) {
  rootFds = (err as NodeJS.ErrnoException).code ?? String(err);
}
process.stdout.write(`${JSON.stringify({ uid: process.getuid?.(), before, after, report, rootFds })}\n`);
