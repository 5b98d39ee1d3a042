#!/usr/bin/env node
// mcres = mccs res; MCCS single-dash syntax accepted (src/cli/mccs-syntax.ts). Runs from dist: npm run build.
import { main } from '../dist/cli/run.js';

process.exitCode = await main('res', process.argv.slice(2));
