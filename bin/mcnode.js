#!/usr/bin/env node
// mcnode = mccs node; MCCS single-dash syntax accepted (src/cli/mccs-syntax.ts). Runs from dist: npm run build.
import { main } from '../dist/cli/run.js';

process.exitCode = await main('node', process.argv.slice(2));
