#!/usr/bin/env node
// mccs: every topic (node, grp, res, cluster, users) and the engine's commands; MCCS single-dash syntax accepted (src/cli/mccs-syntax.ts). Runs from dist: npm run build.
import { main } from '../dist/cli/run.js';

process.exitCode = await main(undefined, process.argv.slice(2));
