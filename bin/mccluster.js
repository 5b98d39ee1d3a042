#!/usr/bin/env node
// mccluster = mccs cluster; MCCS single-dash syntax accepted (src/cli/mccs-syntax.ts). Runs from dist: npm run build.
import { main } from '../dist/cli/run.js';

process.exitCode = await main('cluster', process.argv.slice(2));
